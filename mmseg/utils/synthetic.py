"""Synthetic DRIVE-format data: fundus-like images with branching vessel trees, zipped like the official set.

Used by tests, demos and CI where the real DRIVE data is not available. The images are not
realistic enough to benchmark a model, but they exercise every path (TIFF/GIF decoding, palette
GIFs of the second observer, FOV masks, thin vessels) with the official file names and layout.
"""
import io
import os.path as osp
import zipfile
from typing import List, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from mmcv.fileio import atomic_write, mkdir_or_exist
from mmcv.image import imencode

ZIP_DATE = (2004, 1, 1, 0, 0, 0)
# The second observer's GIFs in DRIVE are palette images with indices 0/1 mapped to these colours.
SECOND_OBSERVER_PALETTE = [4, 2, 4, 252, 254, 252]


class _VesselPainter:
    """Draws vessel segments onto the label maps of two observers and a darkening map for the image."""

    def __init__(self, rng: np.random.Generator, shape: Tuple[int, int]):
        self.rng = rng
        self.scale = min(shape) / 565  # widths and steps are given for DRIVE's size
        self.first = np.zeros(shape, np.uint8)
        self.second = np.zeros(shape, np.uint8)
        self.darkening = np.zeros(shape, np.float32)

    def segment(self, p0: np.ndarray, p1: np.ndarray, width: float, contrast: float) -> None:
        a = tuple(int(round(v)) for v in p0)
        b = tuple(int(round(v)) for v in p1)
        width *= self.scale
        thickness = max(1, int(round(width)))
        cv2.line(self.first, a, b, 1, thickness)
        cv2.line(self.darkening, a, b, contrast, thickness, cv2.LINE_AA)
        # The second observer misses some capillaries and draws widths a little differently.
        if width > 1.6 or self.rng.random() > 0.3:
            cv2.line(self.second, a, b, 1, max(1, int(round(width * self.rng.uniform(0.8, 1.25)))))


def _grow_vessel(painter: _VesselPainter, start: np.ndarray, angle: float, width: float, contrast: float,
                 fov_centre: np.ndarray, fov_radius: float, depth: int = 0) -> None:
    """A curving vessel that thins as it goes and spawns thinner branches at random."""
    rng = painter.rng
    pos = start.astype(np.float64)
    step = 5.0 * painter.scale
    curl = rng.normal(0, 0.02)
    for i in range(400):
        angle += curl + rng.normal(0, 0.10)
        nxt = pos + step * np.array([np.cos(angle), np.sin(angle)])
        if np.linalg.norm(nxt - fov_centre) > fov_radius * 1.02:
            return
        painter.segment(pos, nxt, width, contrast)
        pos = nxt
        width *= 0.992
        if width < 1.0:
            return
        if depth < 5 and i > 3 and rng.random() < 0.045:
            side = rng.choice([-1.0, 1.0])
            _grow_vessel(painter, pos, angle + side * rng.uniform(0.4, 1.1), width * rng.uniform(0.55, 0.8),
                         contrast * rng.uniform(0.7, 1.0), fov_centre, fov_radius, depth + 1)
            width *= 0.9


def _smooth_noise(rng: np.random.Generator, shape: Tuple[int, int], cell: int) -> np.ndarray:
    """Low-frequency noise in about [-1, 1]: random values on a coarse grid, upsampled bicubically."""
    coarse = rng.uniform(-1, 1, (shape[0] // cell + 2, shape[1] // cell + 2)).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _vessel_tree(rng: np.random.Generator, shape: Tuple[int, int], disc: np.ndarray, side: float,
                 centre: np.ndarray, radius: float) -> _VesselPainter:
    """Four or five arcades leaving the optic disc towards the macula, upwards and downwards."""
    painter = _VesselPainter(rng, shape)
    base = np.pi if side > 0 else 0.0
    for k in range(rng.integers(4, 6)):
        angle = base + (-1) ** k * rng.uniform(0.3, 1.3) + rng.normal(0, 0.1)
        width = rng.uniform(7.0, 9.0)
        _grow_vessel(painter, disc.copy(), angle, width, rng.uniform(0.35, 0.6), centre, radius)
    return painter


def synthetic_fundus(rng: np.random.Generator, size: Tuple[int, int] = (565, 584)
                     ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One fundus-like image ``size`` = (w, h): (BGR uint8 image, vessels 0/1, second observer 0/1, FOV 0/1)."""
    w, h = size
    shape = (h, w)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    centre = np.array([w / 2 + rng.normal(0, w * 0.01), h / 2 + rng.normal(0, h * 0.01)])
    radius = 0.475 * min(w, h)
    r = np.hypot(xx - centre[0], yy - centre[1]) / radius
    fov = (r <= 1.0).astype(np.uint8)

    side = rng.choice([-1.0, 1.0])
    disc = centre + np.array([side * radius * rng.uniform(0.45, 0.6), rng.normal(0, radius * 0.08)])
    disc_radius = radius * rng.uniform(0.12, 0.16)
    for _ in range(20):  # redraw until the vessel fraction is DRIVE-like (6-14% of the image)
        painter = _vessel_tree(rng, shape, disc, side, centre, radius)
        if 0.06 <= np.count_nonzero(painter.first * fov) / fov.size <= 0.14:
            break

    illumination = np.clip(1.0 - 0.55 * r**2 + 0.08 * _smooth_noise(rng, shape, 48), 0.1, 1.2)
    macula = centre - np.array([side * radius * 0.25, 0])
    illumination *= 1 - 0.25 * np.exp(-((xx - macula[0])**2 + (yy - macula[1])**2) / (2 * (radius * 0.12)**2))
    disc_glow = np.exp(-((xx - disc[0])**2 + (yy - disc[1])**2) / (2 * disc_radius**2))
    base_bgr = np.array([rng.uniform(20, 50), rng.uniform(60, 100), rng.uniform(170, 220)], np.float32)
    img = base_bgr * illumination[..., None]
    img += disc_glow[..., None] * np.array([60, 110, 60], np.float32)
    darkening = cv2.GaussianBlur(painter.darkening, (0, 0), 0.7)
    img *= 1 - darkening[..., None] * np.array([0.4, 1.0, 0.3], np.float32)
    img += rng.normal(0, 3.0, img.shape).astype(np.float32)
    img *= fov[..., None]
    img += rng.uniform(0, 4, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), painter.first * fov, painter.second * fov, fov


def _gif(mask01: np.ndarray, palette: Sequence[int] = None) -> bytes:
    """A GIF of a 0/1 map: grayscale 0/255, or palette indices 0/1 with ``palette``."""
    if palette is None:
        return imencode(mask01 * 255, '.gif')
    img = Image.fromarray(mask01, 'P')
    img.putpalette(list(palette) + [0] * (768 - len(palette)))
    buf = io.BytesIO()
    img.save(buf, 'GIF')
    return buf.getvalue()


def write_zip(path: str, files: List[Tuple[str, bytes]]) -> None:
    """Write a zip atomically, with folder entries and a fixed date so equal content gives equal bytes."""
    folders = sorted({name[:i + 1] for name, _ in files for i, c in enumerate(name) if c == '/'})
    with atomic_write(path, 'wb') as f, zipfile.ZipFile(f, 'w', zipfile.ZIP_DEFLATED) as zf:
        for folder in folders:
            zf.writestr(zipfile.ZipInfo(folder, ZIP_DATE), b'')
        for name, content in sorted(files):
            zf.writestr(zipfile.ZipInfo(name, ZIP_DATE), content, compress_type=zipfile.ZIP_DEFLATED)


def _split_files(split: str, numbers: Sequence[int], size: Tuple[int, int], seed: int,
                 second_observer: bool) -> List[Tuple[str, bytes]]:
    files = []
    for number in numbers:
        rng = np.random.default_rng([seed, number, 0 if split == 'training' else 1])
        img, first, second, fov = synthetic_fundus(rng, size)
        nn = f'{number:02d}'
        files += [(f'{split}/images/{nn}_{split}.tif', imencode(img, '.tif')),
                  (f'{split}/1st_manual/{nn}_manual1.gif', _gif(first)),
                  (f'{split}/mask/{nn}_{split}_mask.gif', _gif(fov))]
        if second_observer:
            files.append((f'{split}/2nd_manual/{nn}_manual2.gif', _gif(second, SECOND_OBSERVER_PALETTE)))
    return files


def make_synthetic_drive(out_dir: str, num_train: int = 20, num_test: int = 20, size: Tuple[int, int] = (565, 584),
                         seed: int = 0) -> Tuple[str, str]:
    """Write ``out_dir/training.zip`` (images 21, 22, ...) and ``out_dir/test.zip`` (01, 02, ...).

    Same layout and file names as the official DRIVE zips; ``size`` is (w, h); the same seed gives
    the same bytes. Returns the two paths.
    """
    if num_train < 1 or num_test < 1:
        raise ValueError(f'need at least one training and one test image, got {num_train} and {num_test}')
    if min(size) < 32:
        raise ValueError(f'size (w, h) must be at least 32 pixels per side, got {size}')
    mkdir_or_exist(out_dir)
    train_zip = osp.join(out_dir, 'training.zip')
    test_zip = osp.join(out_dir, 'test.zip')
    write_zip(train_zip, _split_files('training', range(21, 21 + num_train), size, seed, second_observer=False))
    write_zip(test_zip, _split_files('test', range(1, 1 + num_test), size, seed, second_observer=True))
    return train_zip, test_zip
