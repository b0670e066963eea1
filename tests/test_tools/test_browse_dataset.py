"""tools/browse_dataset.py: train-pipeline samples of a tiny synthetic DRIVE with their labels painted over."""
import glob
import re
import os.path as osp

import cv2
import numpy as np
import pytest

from mmseg.datasets import DRIVEDataset

# The tiny config's train set without random steps: what comes out can be computed by hand.
PLAIN_PIPELINE = """
_base_ = '{base}'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Normalize', mean=[100.0, 50.0, 10.0], std=[30.0, 20.0, 10.0], to_rgb=True),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_semantic_seg']),
]
data = dict(train=dict(dataset=dict(pipeline=train_pipeline)))
"""


def painted_by_hand(data_root: str, opacity: float) -> dict:
    """Training images blended with DRIVE's palette at ``opacity``, from the files on disk."""
    palette_bgr = np.array(DRIVEDataset.PALETTE, dtype=np.float64)[:, ::-1]
    out = {}
    for img_path in sorted(glob.glob(osp.join(data_root, 'images', 'training', '*.png'))):
        name = osp.basename(img_path)
        img = cv2.imread(img_path).astype(np.float64)
        gt = cv2.imread(osp.join(data_root, 'annotations', 'training', name[:-4] + '_manual1.png'), 0)
        out[name] = (1 - opacity) * img + opacity * palette_bgr[gt]
    return out


def written(out_dir) -> dict:
    return {osp.basename(p): cv2.imread(p).astype(np.float64) for p in sorted(glob.glob(str(out_dir / '*.png')))}


@pytest.mark.parametrize('mode', ['normalize_undone', 'show_origin'])
def test_pictures_match_the_image_and_label_painted_by_hand(mode, load_tool, tiny_config, tiny_drive, tmp_path):
    config = tiny_config
    args = ['--opacity', '0.3', '--not-show']
    if mode == 'normalize_undone':
        config = str(tmp_path / 'plain.py')
        (tmp_path / 'plain.py').write_text(PLAIN_PIPELINE.format(base=tiny_config))
    else:
        args.append('--show-origin')  # the tiny config's random crop is skipped: whole 64x64 images
    out_dir = tmp_path / 'browse'
    assert load_tool('browse_dataset').main([config, '--output-dir', str(out_dir), *args]) == 2
    expected, got = painted_by_hand(tiny_drive, 0.3), written(out_dir)
    assert got.keys() == expected.keys() and len(got) == 2
    for name in got:
        assert got[name].shape == expected[name].shape
        assert np.abs(got[name] - expected[name]).max() <= 1.0, name  # float32 rounding and uint8 truncation


def test_train_pipeline_augments_and_normalises(load_tool, tiny_config, tiny_drive, tmp_path):
    out_dir = tmp_path / 'browse'
    load_tool('browse_dataset').main([tiny_config, '--output-dir', str(out_dir), '--not-show', '--opacity', '1'])
    pictures = written(out_dir)
    assert len(pictures) == 2
    palette_bgr = np.array(DRIVEDataset.PALETTE)[:, ::-1]
    for picture in pictures.values():
        assert picture.shape == (32, 32, 3)  # the config's RandomCrop
        # opacity 1: every pixel is exactly a class colour, so no normalised (near-zero) values remain
        is_class_color = (picture[:, :, None, :] == palette_bgr[None, None]).all(-1).any(-1)
        assert is_class_color.all()


def test_without_a_display_files_are_still_written(load_tool, tiny_config, tmp_path, capsys):
    cv2_has_gui = True
    try:
        cv2.namedWindow('probe')
        cv2.destroyWindow('probe')
    except cv2.error:
        cv2_has_gui = False
    if cv2_has_gui:
        pytest.skip('OpenCV can open windows here')
    out_dir = tmp_path / 'browse'
    assert load_tool('browse_dataset').main([tiny_config, '--output-dir', str(out_dir), '--show-interval', '0']) == 2
    assert 'only writing files' in capsys.readouterr().out
    assert len(written(out_dir)) == 2
    with pytest.raises(SystemExit, match='cannot open a window here'):
        load_tool('browse_dataset').main([tiny_config])


@pytest.mark.parametrize('args, message', [(['--not-show'], 'nothing to do with --not-show'),
                                           (['--opacity', '0', '--output-dir', 'x'], r'--opacity must be in \(0, 1\]')])
def test_bad_arguments(args, message, load_tool, tiny_config, capsys):
    with pytest.raises(SystemExit) as exc:
        load_tool('browse_dataset').main([tiny_config, *args])
    assert exc.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_undo_normalize_and_overlay_units():
    from mmseg.utils.browse_dataset import label_overlay, undo_normalize
    img_bgr = np.array([[[10, 20, 30], [200, 100, 0]]], dtype=np.uint8)
    rgb = img_bgr[..., ::-1].astype(np.float32)
    cfg = dict(mean=np.array([1.0, 2.0, 3.0]), std=np.array([2.0, 4.0, 8.0]), to_rgb=True)
    np.testing.assert_array_equal(undo_normalize((rgb - cfg['mean']) / cfg['std'], cfg), img_bgr)
    seg = np.array([[1, 255]])
    out = label_overlay(img_bgr, seg, [[0, 0, 0], [255, 0, 0]], opacity=1.0)
    assert out[0, 0].tolist() == [0, 0, 255]  # class 1 painted red (palette is RGB, picture BGR)
    assert out[0, 1].tolist() == [200, 100, 0]  # ignore_index left as is
    with pytest.raises(ValueError, match='does not match the image'):
        label_overlay(img_bgr, np.zeros((2, 2), np.int64), [[0, 0, 0]])
