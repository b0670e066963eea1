"""Image IO and the geometric/photometric primitives that data pipelines are built from.

Arrays are HxW or HxWxC numpy arrays in BGR order unless ``channel_order='rgb'`` is asked for.
Decoding uses OpenCV; GIFs (and TIFFs that OpenCV cannot decode) go through Pillow, so palette
GIFs such as DRIVE's masks read the same on every OpenCV build. The 'color' and 'grayscale' flags
always give 8 bits: a 16-bit file keeps its high byte on both backends (what OpenCV does), and
'unchanged' keeps the file's depth.
"""
import io
import os.path as osp
from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from PIL import Image

from mmcv.fileio import atomic_write, mkdir_or_exist

ImageSource = Union[str, Path, bytes, np.ndarray]

_CV2_FLAGS = {'color': cv2.IMREAD_COLOR, 'grayscale': cv2.IMREAD_GRAYSCALE,
              'unchanged': cv2.IMREAD_UNCHANGED}
INTERPOLATIONS = {'nearest': cv2.INTER_NEAREST, 'bilinear': cv2.INTER_LINEAR, 'bicubic': cv2.INTER_CUBIC,
                  'area': cv2.INTER_AREA, 'lanczos': cv2.INTER_LANCZOS4}
_FLIP_CODES = {'horizontal': 1, 'vertical': 0, 'diagonal': -1}
_PILLOW_FORMATS = {'.gif': 'GIF'}
_CV2_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')
_PILLOW_16_BIT_MODES = ('I;16', 'I;16L', 'I;16B', 'I;16N')


class _DepthError(ValueError):
    """An image whose depth has no defined 8-bit form (raised as is, not as 'not a readable image')."""


def _check_choice(name: str, value: str, choices) -> None:
    if value not in choices:
        raise ValueError(f'{name} must be one of {sorted(choices)}, got {value!r}')


def _is_gif(content: bytes) -> bool:
    return content[:6] in (b'GIF87a', b'GIF89a')


def _pillow_8_bit(img: Image.Image, name: str) -> Image.Image:
    """``img`` with 8-bit channels: 16-bit grey levels keep their high byte, as OpenCV converts them
    (Pillow's own conversion would clip every value above 255 to white)."""
    if img.mode in _PILLOW_16_BIT_MODES:
        return Image.fromarray((np.array(img).astype(np.uint16) >> 8).astype(np.uint8))
    if img.mode in ('I', 'F'):
        raise _DepthError(f'cannot read image {name} as 8 bits: it holds 32-bit values (Pillow mode {img.mode}), '
                          "which have no fixed range; read it with flag='unchanged' and scale it yourself")
    return img


def _pillow_decode(content: bytes, flag: str, channel_order: str, name: str) -> np.ndarray:
    """Decode with Pillow; 'unchanged' keeps palette indices (what label maps need), like mmcv."""
    with Image.open(io.BytesIO(content)) as img:
        if flag != 'unchanged':
            img = _pillow_8_bit(img, name)
        if flag == 'grayscale':
            return np.array(img.convert('L'))
        if flag == 'unchanged':
            array = np.array(img)
            if array.ndim == 3 and array.shape[2] >= 3 and channel_order == 'bgr':
                array[:, :, :3] = array[:, :, 2::-1].copy()
            return array
        array = np.array(img.convert('RGB'))
    return array[:, :, ::-1].copy() if channel_order == 'bgr' else array


def _cv2_decode(content: bytes, flag: str, channel_order: str) -> Optional[np.ndarray]:
    img = cv2.imdecode(np.frombuffer(content, np.uint8), _CV2_FLAGS[flag])
    if img is not None and img.ndim == 3 and img.shape[2] >= 3 and channel_order == 'rgb':
        img[:, :, :3] = img[:, :, 2::-1].copy()
    return img


def imfrombytes(content: bytes, flag: str = 'color', channel_order: str = 'bgr',
                backend: Optional[str] = None, name: str = '<bytes>') -> np.ndarray:
    """Decode an encoded image.

    Args:
        content: the encoded file content.
        flag: 'color' (3 channels, uint8), 'grayscale' (HxW, uint8) or 'unchanged' (as stored:
            palette images keep their indices, 16-bit files their 16 bits).
        channel_order: 'bgr' or 'rgb' for colour results.
        backend: 'cv2' (default; GIFs and TIFFs cv2 cannot read fall back to Pillow) or 'pillow'.
        name: what to call the content in errors (a file name).
    """
    _check_choice('flag', flag, _CV2_FLAGS)
    _check_choice('channel_order', channel_order, ('bgr', 'rgb'))
    backend = backend or 'cv2'
    _check_choice('backend', backend, ('cv2', 'pillow'))
    if not content:
        raise ValueError(f'cannot decode image {name}: the content is empty')
    img = None
    if backend == 'cv2' and not _is_gif(content):
        img = _cv2_decode(content, flag, channel_order)
    if img is None:
        try:
            img = _pillow_decode(content, flag, channel_order, name)
        except _DepthError:
            raise
        except Exception as e:  # Pillow raises several types for bad data
            raise ValueError(f'cannot decode image {name}: not a readable image file ({e})') from e
    return img


def imread(img_or_path: ImageSource, flag: str = 'color', channel_order: str = 'bgr',
           backend: Optional[str] = None) -> np.ndarray:
    """Read an image from a path or encoded bytes (an array is returned as is).

    Raises FileNotFoundError naming the path when it does not exist and ValueError naming it when
    it cannot be decoded.
    """
    if isinstance(img_or_path, np.ndarray):
        return img_or_path
    if isinstance(img_or_path, (bytes, bytearray, memoryview)):
        return imfrombytes(bytes(img_or_path), flag, channel_order, backend)
    if not isinstance(img_or_path, (str, Path)):
        raise TypeError(f'imread takes a path, bytes or an array, got {type(img_or_path).__name__}')
    path = str(img_or_path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'image file {path} does not exist')
    with open(path, 'rb') as f:
        content = f.read()
    return imfrombytes(content, flag, channel_order, backend, name=path)


def imencode(img: np.ndarray, ext: str, params: Optional[Sequence[int]] = None) -> bytes:
    """Encode ``img`` (BGR or grayscale) as ``ext`` ('.png', '.jpg', '.tif', '.gif', ...)."""
    ext = ext.lower() if ext.startswith('.') else f'.{ext.lower()}'
    if ext in _PILLOW_FORMATS:
        if img.ndim == 3:
            img = img[:, :, ::-1]
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(img)).save(buf, _PILLOW_FORMATS[ext])
        return buf.getvalue()
    if ext not in _CV2_EXTENSIONS:
        raise ValueError(f'cannot encode images as {ext!r}; supported: '
                         f'{", ".join(_CV2_EXTENSIONS + tuple(_PILLOW_FORMATS))}')
    ok, buf = cv2.imencode(ext, img, list(params or []))
    if not ok:
        raise ValueError(f'OpenCV could not encode a {img.dtype} image of shape {img.shape} as {ext}')
    return buf.tobytes()


def imwrite(img: np.ndarray, file_path: Union[str, Path], params: Optional[Sequence[int]] = None,
            auto_mkdir: bool = True) -> bool:
    """Write ``img`` to ``file_path`` atomically (format from the suffix); returns True."""
    file_path = str(file_path)
    content = imencode(img, osp.splitext(file_path)[1], params)
    if auto_mkdir:
        mkdir_or_exist(osp.dirname(osp.abspath(file_path)))
    with atomic_write(file_path, 'wb') as f:
        f.write(content)
    return True


def _scale_size(size: Tuple[int, int], scale: Union[float, Tuple[float, float]]) -> Tuple[int, int]:
    """Scale a (w, h) size, rounding to the nearest integer."""
    if isinstance(scale, (float, int)):
        scale = (scale, scale)
    w, h = size
    return int(w * float(scale[0]) + 0.5), int(h * float(scale[1]) + 0.5)


def rescale_size(old_size: Tuple[int, int], scale: Union[float, Tuple[int, int]],
                 return_scale: bool = False):
    """New (w, h) for rescaling ``old_size`` (w, h) keeping its aspect ratio.

    ``scale`` is a factor, or a (long_edge, short_edge) bound in either order: the result is as
    large as possible with its long edge <= max(scale) and its short edge <= min(scale).
    """
    w, h = old_size
    if isinstance(scale, (float, int)):
        if scale <= 0:
            raise ValueError(f'invalid scale {scale}, must be positive')
        scale_factor = float(scale)
    elif isinstance(scale, (tuple, list)) and len(scale) == 2:
        max_long_edge, max_short_edge = max(scale), min(scale)
        scale_factor = min(max_long_edge / max(h, w), max_short_edge / min(h, w))
    else:
        raise TypeError(f'scale must be a number or a tuple of two ints, got {scale!r}')
    new_size = _scale_size((w, h), scale_factor)
    return (new_size, scale_factor) if return_scale else new_size


def imresize(img: np.ndarray, size: Tuple[int, int], return_scale: bool = False,
             interpolation: str = 'bilinear', out: Optional[np.ndarray] = None):
    """Resize to ``size`` (w, h); with ``return_scale`` also return (w_scale, h_scale)."""
    _check_choice('interpolation', interpolation, INTERPOLATIONS)
    h, w = img.shape[:2]
    resized = cv2.resize(img, tuple(int(s) for s in size), dst=out, interpolation=INTERPOLATIONS[interpolation])
    if not return_scale:
        return resized
    return resized, size[0] / w, size[1] / h


def imrescale(img: np.ndarray, scale: Union[float, Tuple[int, int]], return_scale: bool = False,
              interpolation: str = 'bilinear'):
    """Resize keeping the aspect ratio (see :func:`rescale_size`); optionally return the factor."""
    h, w = img.shape[:2]
    new_size, scale_factor = rescale_size((w, h), scale, return_scale=True)
    rescaled = imresize(img, new_size, interpolation=interpolation)
    return (rescaled, scale_factor) if return_scale else rescaled


def imflip(img: np.ndarray, direction: str = 'horizontal') -> np.ndarray:
    """Flip 'horizontal'ly, 'vertical'ly or along both axes ('diagonal'); returns a new array."""
    _check_choice('direction', direction, _FLIP_CODES)
    return cv2.flip(img, _FLIP_CODES[direction])


def imnormalize(img: np.ndarray, mean: Sequence[float], std: Sequence[float], to_rgb: bool = True) -> np.ndarray:
    """Return ``(img - mean) / std`` as float32 (a new array); ``to_rgb`` swaps BGR to RGB first."""
    return imnormalize_(img.astype(np.float32), mean, std, to_rgb)


def imnormalize_(img: np.ndarray, mean: Sequence[float], std: Sequence[float], to_rgb: bool = True) -> np.ndarray:
    """In-place :func:`imnormalize` of a float32 HxWx3 array (no temporaries: OpenCV does the maths)."""
    if img.dtype != np.float32:
        raise TypeError(f'imnormalize_ needs a float32 image, got {img.dtype}')
    mean = np.asarray(mean, dtype=np.float64).reshape(1, -1)
    stdinv = 1.0 / np.asarray(std, dtype=np.float64).reshape(1, -1)
    if to_rgb:
        cv2.cvtColor(img, cv2.COLOR_BGR2RGB, img)
    cv2.subtract(img, mean, img)
    cv2.multiply(img, stdinv, img)
    return img


def impad(img: np.ndarray, shape: Optional[Tuple[int, int]] = None,
          padding: Optional[Union[int, Tuple[int, ...]]] = None,
          pad_val: Union[float, Sequence[float]] = 0, padding_mode: str = 'constant') -> np.ndarray:
    """Pad at the bottom/right up to ``shape`` (h, w), or by ``padding`` (int, (w, h) or (l, t, r, b)).

    Sides already longer than ``shape`` are left as they are.
    """
    if (shape is None) == (padding is None):
        raise ValueError('impad needs exactly one of shape or padding')
    modes = {'constant': cv2.BORDER_CONSTANT, 'edge': cv2.BORDER_REPLICATE,
             'reflect': cv2.BORDER_REFLECT_101, 'symmetric': cv2.BORDER_REFLECT}
    _check_choice('padding_mode', padding_mode, modes)
    if shape is not None:
        padding = (0, 0, max(shape[1] - img.shape[1], 0), max(shape[0] - img.shape[0], 0))
    elif isinstance(padding, int):
        padding = (padding,) * 4
    elif len(padding) == 2:
        padding = (padding[0], padding[1], padding[0], padding[1])
    elif len(padding) != 4:
        raise ValueError(f'padding must be an int or a tuple of 2 or 4 ints, got {padding!r}')
    left, top, right, bottom = (int(p) for p in padding)
    if isinstance(pad_val, (int, float)):
        value = [pad_val] * (img.shape[2] if img.ndim == 3 else 1)
    else:
        value = list(pad_val)
    return cv2.copyMakeBorder(img, top, bottom, left, right, modes[padding_mode], value=value)


def impad_to_multiple(img: np.ndarray, divisor: int, pad_val: Union[float, Sequence[float]] = 0) -> np.ndarray:
    """Pad at the bottom/right so that both sides are multiples of ``divisor``."""
    h, w = img.shape[:2]
    pad_h = int(np.ceil(h / divisor)) * divisor
    pad_w = int(np.ceil(w / divisor)) * divisor
    return impad(img, shape=(pad_h, pad_w), pad_val=pad_val)


def imcrop(img: np.ndarray, bboxes: np.ndarray, scale: float = 1.0,
           pad_fill: Optional[Union[float, Sequence[float]]] = None):
    """Crop boxes (x1, y1, x2, y2), inclusive corners, optionally scaled about their centres.

    One box (shape (4,)) gives one patch, an (N, 4) array a list of patches. Boxes are clipped to
    the image, unless ``pad_fill`` is given: then parts outside the image are filled with it.
    """
    bboxes = np.asarray(bboxes, dtype=np.float64)
    if bboxes.shape[-1] != 4 or bboxes.ndim not in (1, 2):
        raise ValueError(f'bboxes must be (4,) or (N, 4) as x1, y1, x2, y2; got shape {bboxes.shape}')
    boxes = bboxes.reshape(-1, 4)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = (boxes[:, 2:] - boxes[:, :2] + 1) * scale / 2
    corners = np.round(np.concatenate([centre - half + 0.5, centre + half - 0.5], axis=1)).astype(int)
    h, w = img.shape[:2]
    patches = []
    for x1, y1, x2, y2 in corners:
        cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, w - 1), min(y2, h - 1)
        if pad_fill is None:
            patches.append(img[cy1:cy2 + 1, cx1:cx2 + 1].copy())
            continue
        patch = np.empty((y2 - y1 + 1, x2 - x1 + 1) + img.shape[2:], dtype=img.dtype)
        patch[...] = np.asarray(pad_fill, dtype=img.dtype)
        if cx1 <= cx2 and cy1 <= cy2:
            patch[cy1 - y1:cy2 - y1 + 1, cx1 - x1:cx2 - x1 + 1] = img[cy1:cy2 + 1, cx1:cx2 + 1]
        patches.append(patch)
    return patches[0] if bboxes.ndim == 1 else patches


def bgr2hsv(img: np.ndarray) -> np.ndarray:
    """BGR to HSV (OpenCV ranges: H in [0, 180) for uint8)."""
    return cv2.cvtColor(img, cv2.COLOR_BGR2HSV)


def hsv2bgr(img: np.ndarray) -> np.ndarray:
    """HSV to BGR, the inverse of :func:`bgr2hsv`."""
    return cv2.cvtColor(img, cv2.COLOR_HSV2BGR)


def bgr2rgb(img: np.ndarray) -> np.ndarray:
    """Swap BGR and RGB channel orders."""
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
