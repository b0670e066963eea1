"""Decode archive members into fundus images and 0/1 maps (labels, FOV masks), with checks that name the entry."""
import io
from typing import Optional, Tuple

import numpy as np
from PIL import Image

from mmcv.image import imfrombytes

from .archive import ConversionError, Limits


def header_size(content: bytes) -> Optional[Tuple[int, int]]:
    """(w, h) from the image header without decoding the pixels; None when Pillow cannot tell."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # our own cap applies; Pillow's would refuse to even report the size
    try:
        with Image.open(io.BytesIO(content)) as img:
            return img.size
    except Exception:  # not an image Pillow knows: the decoder below reports it
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def decode(content: bytes, flag: str, name: str, limits: Limits) -> np.ndarray:
    """Decode ``content`` ('color', 'grayscale' or 'unchanged'); refuse images over ``limits.max_pixels``."""
    size = header_size(content)
    if size is not None and size[0] * size[1] > limits.max_pixels:
        raise ConversionError(f'{name} is {size[0]}x{size[1]} = {size[0] * size[1] / 1e6:.0f} megapixels, over the '
                              f'{limits.max_pixels / 1e6:g} MP limit; if the image is genuine, raise the limit with '
                              f'--max-megapixels')
    try:
        return imfrombytes(content, flag=flag, name=name)
    except ValueError as e:
        raise ConversionError(str(e)) from e


# A label may have at most this fraction of pixels that are neither background nor foreground and still be read
# as binary (binarized at the midpoint, as mmseg 0.x does with // 128). The official HRF labels 11_h, 12_h and
# 13_h carry 599, 1584 and 1119 anti-aliased edge pixels of 8.2 million (at most 0.019%); the limit leaves 5x
# room above that, and refuses what is not a binary map: a label saved as JPEG (even quality 100: 0.4% grey), a
# resized or blurred label (2.4-4.9% on HRF's 01_h), a probability map. Within the limit, the midpoint rule
# decides at most 0.1% of the pixels.
NEAR_BINARY_MAX_FRACTION = 0.001


def to_binary(array: np.ndarray, name: str) -> Tuple[np.ndarray, int]:
    """A 0/1 uint8 map from a label or mask stored as 0/1 or as 0/255 (0/65535 for 16 bits), and its grey count.

    The encoding is decided per file from its set of values, so a user's own 0/1 re-export is read
    as well as the official 0/255 files. A 0/top map with a few grey (anti-aliased) pixels, at most
    ``NEAR_BINARY_MAX_FRACTION`` of the image, is binarized at the midpoint (``value >= 128`` for 8 bits,
    as mmseg 0.x); the second value returned is how many pixels that decided (0 for a clean map).
    More grey, colours, or 0/1 mixed with 0/255 are refused: which pixels are vessels would be a guess
    (pass a threshold to :func:`read_binary` to binarize them anyway). Palette images keep their
    indices (DRIVE's second observer stores vessels as index 1).
    """
    if array.ndim == 3:
        channels = array[:, :, :3]
        if not (channels == channels[:, :, :1]).all():
            raise ConversionError(f'{name} is a colour image; expected a grayscale 0/1 or 0/255 map')
        array = array[:, :, 0]
    if array.dtype == bool:
        array = array.astype(np.uint8)
    values = np.unique(array)
    integer = np.issubdtype(array.dtype, np.integer)
    top = np.iinfo(array.dtype).max if integer else 1
    if set(values.tolist()) <= {0, 1}:
        return array.astype(np.uint8), 0
    if set(values.tolist()) <= {0, top}:
        return (array == top).astype(np.uint8), 0
    grey = int(np.count_nonzero((array != 0) & (array != top)))
    if grey <= NEAR_BINARY_MAX_FRACTION * array.size:
        midpoint = (int(top) + 1) // 2 if integer else 0.5
        return (array >= midpoint).astype(np.uint8), grey
    shown = ', '.join(str(v) for v in values[:6]) + (', ...' if len(values) > 6 else '')
    raise ConversionError(
        f'{name} has the values {{{shown}}}; expected a binary map stored as 0/1 or 0/{top}: {grey} pixels '
        f'({100 * grey / array.size:.2f}%) are neither 0 nor {top}, and a near-binary map (anti-aliased edges) may '
        f'have at most {100 * NEAR_BINARY_MAX_FRACTION:g}%; this looks like a resized, lossy (JPEG) or '
        f'probability map. To binarize it the way mmseg 0.x did, pass --label-threshold 128 (value >= 128 is 1)')


def read_binary(content: bytes, name: str, limits: Limits,
                threshold: Optional[int] = None) -> Tuple[np.ndarray, int]:
    """Decode a label or mask into 0/1 and its grey count (see :func:`to_binary`), or ``>= threshold`` on its
    first channel (grey count 0: the user chose the rule for every pixel)."""
    if threshold is not None:
        return (decode(content, 'color', name, limits)[:, :, 0] >= threshold).astype(np.uint8), 0
    return to_binary(decode(content, 'unchanged', name, limits), name)
