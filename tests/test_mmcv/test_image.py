import io
import os

import cv2
import numpy as np
import pytest
from PIL import Image

from mmcv.image import (bgr2hsv, hsv2bgr, imcrop, imencode, imflip, imfrombytes, imnormalize, imnormalize_, impad,
                        impad_to_multiple, imread, imrescale, imresize, imwrite, rescale_size)


@pytest.fixture
def bgr():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)


def _palette_gif(indices: np.ndarray) -> bytes:
    img = Image.fromarray(indices.astype(np.uint8), 'P')
    img.putpalette([4, 2, 4, 252, 254, 252] + [0] * 762)
    buf = io.BytesIO()
    img.save(buf, 'GIF')
    return buf.getvalue()


@pytest.mark.parametrize('ext', ['.png', '.tif', '.bmp'])
def test_lossless_roundtrip_keeps_pixels_and_channel_order(tmp_path, bgr, ext):
    path = tmp_path / f'a{ext}'
    imwrite(bgr, path)
    assert np.array_equal(imread(path), bgr)
    assert np.array_equal(imread(str(path), channel_order='rgb'), bgr[:, :, ::-1])
    assert np.array_equal(imread(path.read_bytes()), bgr)


def test_grayscale_and_unchanged_flags(tmp_path, bgr):
    path = tmp_path / 'a.png'
    imwrite(bgr, path)
    gray = imread(path, flag='grayscale')
    assert gray.shape == bgr.shape[:2]
    assert np.abs(gray.astype(int) - cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)).max() <= 1
    label = np.arange(20, dtype=np.uint8).reshape(4, 5)
    imwrite(label, tmp_path / 'label.png')
    for backend in ('cv2', 'pillow'):
        assert np.array_equal(imread(tmp_path / 'label.png', flag='unchanged', backend=backend), label)


@pytest.mark.parametrize('flag', ['color', 'grayscale'])
def test_16_bit_images_read_as_8_bits_alike_on_both_backends(tmp_path, flag):
    img = np.array([[0, 255, 256, 4660, 32768, 65535]], np.uint16)
    imwrite(img, tmp_path / 'img16.png')
    cv2_img = imread(tmp_path / 'img16.png', flag=flag, backend='cv2')
    pillow_img = imread(tmp_path / 'img16.png', flag=flag, backend='pillow')
    assert cv2_img.dtype == pillow_img.dtype == np.uint8
    assert np.array_equal(pillow_img, cv2_img)  # the high byte, not values clipped at 255
    assert (cv2_img if cv2_img.ndim == 2 else cv2_img[..., 0]).tolist() == [[0, 0, 1, 18, 128, 255]]


def test_32_bit_images_have_no_8_bit_form_through_pillow():
    buf = io.BytesIO()
    Image.fromarray(np.full((3, 4), 1e5, np.float32), 'F').save(buf, 'TIFF')
    with pytest.raises(ValueError, match=r"cannot read image <bytes> as 8 bits: it holds 32-bit values.*'unchanged'"):
        imfrombytes(buf.getvalue(), flag='color', backend='pillow')
    assert imfrombytes(buf.getvalue(), flag='unchanged', backend='pillow').dtype == np.float32


def test_jpeg_is_close(tmp_path):
    img = np.full((16, 16, 3), (40, 120, 200), np.uint8)
    imwrite(img, tmp_path / 'a.jpg')
    assert np.abs(imread(tmp_path / 'a.jpg').astype(int) - img).max() <= 3


def test_gif_reads_through_pillow_palette_indices_or_luminance():
    indices = np.array([[0, 1], [1, 0]], np.uint8)
    content = _palette_gif(indices)
    assert np.array_equal(imfrombytes(content, flag='unchanged'), indices)
    gray = imfrombytes(content, flag='grayscale')
    assert gray[0, 0] < 10 and gray[0, 1] > 245
    color = imfrombytes(content, flag='color')
    assert color.shape == (2, 2, 3) and tuple(color[0, 1]) == (252, 254, 252)


def test_grayscale_gif_roundtrip(tmp_path):
    mask = (np.arange(30).reshape(5, 6) % 2 * 255).astype(np.uint8)
    imwrite(mask, tmp_path / 'm.gif')
    assert np.array_equal(imread(tmp_path / 'm.gif', flag='grayscale'), mask)


def test_tiff_cv2_cannot_read_falls_back_to_pillow(bgr, monkeypatch):
    buf = io.BytesIO()
    Image.fromarray(bgr[:, :, ::-1]).save(buf, 'TIFF', compression='tiff_lzw')
    assert np.array_equal(imfrombytes(buf.getvalue()), bgr)
    monkeypatch.setattr(cv2, 'imdecode', lambda *args: None)  # an OpenCV build without this TIFF codec
    assert np.array_equal(imfrombytes(buf.getvalue()), bgr)
    assert np.array_equal(imfrombytes(buf.getvalue(), channel_order='rgb'), bgr[:, :, ::-1])


def test_missing_and_unreadable_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.png'):
        imread(tmp_path / 'nothere.png')
    bad = tmp_path / 'broken.png'
    bad.write_bytes(b'not an image at all')
    with pytest.raises(ValueError, match='broken.png'):
        imread(bad)
    with pytest.raises(ValueError, match='empty'):
        imfrombytes(b'')
    with pytest.raises(ValueError, match='flag'):
        imread(bad, flag='colour')


def test_imwrite_is_atomic_and_makes_folders(tmp_path, bgr):
    path = tmp_path / 'deep' / 'er' / 'a.png'
    assert imwrite(bgr, path)
    assert os.listdir(path.parent) == ['a.png']
    with pytest.raises(ValueError, match='.xyz'):
        imwrite(bgr, tmp_path / 'deep' / 'er' / 'b.xyz')
    assert os.listdir(path.parent) == ['a.png']
    with pytest.raises(FileNotFoundError):
        imwrite(bgr, tmp_path / 'none' / 'c.png', auto_mkdir=False)


def test_imencode_matches_imwrite(tmp_path, bgr):
    imwrite(bgr, tmp_path / 'a.png')
    assert imencode(bgr, 'png') == (tmp_path / 'a.png').read_bytes()


def test_rescale_size_fits_long_and_short_edge_bounds():
    assert rescale_size((565, 584), (584, 565)) == (565, 584)
    assert rescale_size((565, 584), (1168, 1130)) == (1130, 1168)
    assert rescale_size((200, 100), (1000, 600)) == (1000, 500)
    assert rescale_size((200, 100), (600, 1000)) == (1000, 500)
    new_size, factor = rescale_size((200, 100), 0.5, return_scale=True)
    assert new_size == (100, 50) and factor == 0.5
    with pytest.raises(ValueError):
        rescale_size((10, 10), -1)


def test_imresize_and_imrescale(bgr):
    out, w_scale, h_scale = imresize(bgr, (20, 6), return_scale=True)
    assert out.shape == (6, 20, 3) and (w_scale, h_scale) == (2.0, 0.5)
    label = np.array([[0, 1], [2, 3]], np.uint8)
    assert set(np.unique(imresize(label, (7, 5), interpolation='nearest'))) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match='interpolation'):
        imresize(bgr, (5, 5), interpolation='linear')
    out, factor = imrescale(bgr, (40, 40), return_scale=True)
    assert out.shape == (40, 33, 3) and factor == pytest.approx(40 / 12)


@pytest.mark.parametrize('direction,axis', [('horizontal', 1), ('vertical', 0), ('diagonal', (0, 1))])
def test_imflip(bgr, direction, axis):
    assert np.array_equal(imflip(bgr, direction), np.flip(bgr, axis))
    assert np.array_equal(imflip(bgr[:, :, 0], direction), np.flip(bgr[:, :, 0], axis))


def test_imnormalize_matches_formula_and_in_place_variant(bgr):
    mean, std = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
    expected = (bgr[:, :, ::-1].astype(np.float64) - mean) / std
    out = imnormalize(bgr, mean, std, to_rgb=True)
    assert out.dtype == np.float32 and np.allclose(out, expected, atol=1e-4)
    assert np.allclose(imnormalize(bgr, mean, std, to_rgb=False), (bgr - np.array(mean)) / std, atol=1e-4)
    img = bgr.astype(np.float32)
    assert imnormalize_(img, mean, std) is img and np.allclose(img, expected, atol=1e-4)
    with pytest.raises(TypeError, match='float32'):
        imnormalize_(bgr, mean, std)


def test_impad_variants(bgr):
    out = impad(bgr, shape=(15, 14), pad_val=(1, 2, 3))
    assert out.shape == (15, 14, 3) and np.array_equal(out[:12, :10], bgr)
    assert tuple(out[14, 13]) == (1, 2, 3) and tuple(out[0, 13]) == (1, 2, 3)
    assert impad(bgr, shape=(5, 5)).shape == bgr.shape  # larger sides stay
    out = impad(bgr[:, :, 0], padding=(1, 2, 3, 4), pad_val=255)
    assert out.shape == (18, 14) and out[0, 0] == 255 and out[2, 1] == bgr[0, 0, 0]
    assert impad(bgr, padding=2).shape == (16, 14, 3)
    assert np.array_equal(impad(bgr, padding=1, padding_mode='edge')[0, 0], bgr[0, 0])
    with pytest.raises(ValueError, match='exactly one'):
        impad(bgr)
    assert impad_to_multiple(bgr, 8).shape == (16, 16, 3)


def test_imcrop_clips_or_fills(bgr):
    assert np.array_equal(imcrop(bgr, np.array([2, 3, 5, 7])), bgr[3:8, 2:6])
    patches = imcrop(bgr, np.array([[0, 0, 1, 1], [8, 10, 20, 20]]))
    assert patches[0].shape == (2, 2, 3) and patches[1].shape == (2, 2, 3)
    filled = imcrop(bgr, np.array([8, 10, 11, 13]), pad_fill=7)
    assert filled.shape == (4, 4, 3) and np.array_equal(filled[:2, :2], bgr[10:12, 8:10]) and filled[3, 3, 0] == 7
    assert imcrop(bgr, np.array([2, 2, 5, 5]), scale=2.0).shape == (8, 8, 3)


def test_hsv_roundtrip(bgr):
    back = hsv2bgr(bgr2hsv(bgr))
    assert np.abs(back.astype(int) - bgr).max() <= 8
