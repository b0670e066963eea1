"""Build-time checks of a segmentor: its ``train_cfg`` / ``test_cfg`` keys and values, and that each head's
``in_channels`` match the channels of the features it reads."""
import difflib
from typing import Dict, List, Optional, Sequence, Tuple

from torch import nn

from ..acceleration.autocast import check_autocast
from ..acceleration.compile import compile_options
from .test_time import check_blend, check_tta

# key -> what it does; unknown keys are errors (a typo must not silently fall back to a default)
TRAIN_CFG_KEYS: Dict[str, str] = {
    'cuda_graph': 'replay the training forward/backward as CUDA graphs (models/acceleration/cuda_graph.py)',
    'compile': 'torch.compile settings of the training step',
}
TEST_CFG_KEYS: Dict[str, str] = {
    'mode': "'whole' (one pass) or 'slide' (windows)",
    'crop_size': "window size for mode='slide': int or (h, w)",
    'stride': "window step for mode='slide': int or (h, w)",
    'window_batch': 'windows per forward pass in slide mode (default 16)',
    'blend': "slide mode: 'uniform' (plain mean of overlapping windows, default) or 'gaussian' (centre-weighted)",
    'tta': "None or 'dihedral' (probabilities averaged over the 8 flips and quarter turns of the image)",
    'test_mode': "UNet++: 'accurate' (mean of the outputs) or 'fast' (output prune_level only)",
    'prune_level': "UNet++: the output k (UNet++ L_k) that test_mode='fast' computes",
    'compile': 'torch.compile settings of inference',
    'threshold': "vessel-probability threshold of a two-class model: a number in (0, 1), 'calibrated' (the value "
                 "tools/calibrate_threshold.py stored in the checkpoint) or None (argmax / the head's threshold)",
    'autocast': "inference under bf16 autocast: 'bf16', 'auto' (where the device has native bf16) or None",
}


def check_cfg_keys(cfg: dict, known: Dict[str, str], name: str) -> None:
    """Raise KeyError for a key of ``cfg`` that is not in ``known``, suggesting the nearest known key."""
    for key in cfg:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ''
        raise KeyError(f'model.{name}: unknown key {key!r}{hint} (known keys: {", ".join(sorted(known))})')


def checked_train_cfg(train_cfg: Optional[dict]) -> dict:
    """A copy of ``train_cfg`` with its keys and its ``compile`` / ``cuda_graph`` values checked."""
    train_cfg = dict(train_cfg or {})
    check_cfg_keys(train_cfg, TRAIN_CFG_KEYS, 'train_cfg')
    if compile_options(train_cfg.get('compile'), 'train_cfg.compile') is not None and train_cfg.get('cuda_graph'):
        raise ValueError("train_cfg.compile and train_cfg.cuda_graph exclude each other; for CUDA graphs of the "
                         "compiled step use train_cfg.compile=dict(mode='reduce-overhead')")
    return train_cfg


def checked_test_cfg(test_cfg: Optional[dict]) -> dict:
    """A copy of ``test_cfg`` with its keys and values checked; an int ``crop_size`` / ``stride`` (mmseg 0.x
    base configs) becomes an (h, w) pair."""
    test_cfg = dict(test_cfg or {})
    check_cfg_keys(test_cfg, TEST_CFG_KEYS, 'test_cfg')
    compile_options(test_cfg.get('compile'), 'test_cfg.compile')
    check_autocast(test_cfg.get('autocast'))
    check_threshold(test_cfg.get('threshold'))
    check_blend(test_cfg.get('blend', 'uniform'))
    check_tta(test_cfg.get('tta'))
    mode = test_cfg.get('mode', 'whole')
    if mode not in ('whole', 'slide'):
        raise ValueError(f"test_cfg.mode must be 'whole' or 'slide', got {mode!r}")
    for key in ('crop_size', 'stride'):
        if key in test_cfg:
            test_cfg[key] = _size_pair(test_cfg[key], key)
    if mode == 'slide':
        for key in ('crop_size', 'stride'):
            if test_cfg.get(key) is None:
                raise ValueError(f"test_cfg.{key} is needed for mode='slide' (an int or (h, w))")
    if test_cfg.get('crop_size') is not None and test_cfg.get('stride') is not None:
        check_slide_windows(test_cfg['crop_size'], test_cfg['stride'])
    window_batch = test_cfg.get('window_batch', 16)
    if isinstance(window_batch, bool) or not isinstance(window_batch, int) or window_batch < 1:
        raise ValueError(f'test_cfg.window_batch must be an int >= 1, got {window_batch!r}')
    return test_cfg


def check_threshold(value, key: str = 'test_cfg.threshold') -> None:
    """None, 'calibrated' or a number strictly between 0 and 1."""
    if value is None or value == 'calibrated':
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"{key} must be a number in (0, 1), 'calibrated' or None, got {value!r}")


def check_slide_windows(crop_size: Sequence[int], stride: Sequence[int]) -> None:
    """Refuse a ``stride`` larger than ``crop_size`` ((h, w) pairs): the windows would skip pixels, which
    slide inference would leave without a prediction."""
    for axis, size, step in zip(('height', 'width'), crop_size, stride):
        if step > size:
            raise ValueError(f'test_cfg.stride {tuple(stride)} is larger than test_cfg.crop_size {tuple(crop_size)} '
                             f'in {axis}: the windows would leave pixels between them unpredicted; use a stride '
                             '<= crop_size (smaller strides overlap the windows)')


def _size_pair(value, key: str) -> Tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (list, tuple)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in pair):
        raise ValueError(f'test_cfg.{key} must be a positive int or (h, w) of positive ints, got {value!r}')
    return pair


def check_head_channels(head: nn.Module, name: str, feature_channels: Optional[Sequence[int]],
                        source: str) -> None:
    """Raise if ``head``'s ``in_channels`` differ from the channels of the features its ``in_index`` picks.

    ``feature_channels`` are the channels of the segmentor's feature list (``source`` names who makes it,
    e.g. 'backbone UNet'); None skips the check (a component that does not declare its ``out_channels``).
    """
    if feature_channels is None:
        return
    feature_channels = list(feature_channels)
    single = isinstance(head.in_index, int)
    indices: List[int] = [head.in_index] if single else list(head.in_index)
    wanted: List[int] = [head.in_channels] if single else list(head.in_channels)
    for position, (index, channels) in enumerate(zip(indices, wanted)):
        where = 'in_channels' if single else f'in_channels[{position}]'
        if not -len(feature_channels) <= index < len(feature_channels):
            raise ValueError(f'{name}: in_index {index} is out of range: {source} returns '
                             f'{len(feature_channels)} features with channels {feature_channels}')
        if feature_channels[index] != channels:
            raise ValueError(f'{name}: {where}={channels} for in_index {index}, but {source} gives '
                             f'{feature_channels[index]} channels at out index {index} (its out_channels: '
                             f'{feature_channels}); set {name}.in_channels to match')
