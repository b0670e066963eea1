"""Score a dataset's second observer against its first: the human reference beside a model's figures."""
import copy
from typing import Dict

from mmseg.datasets import build_dataset


def score_second_observer(dataset_cfg: dict) -> Dict[str, float]:
    """Evaluate the second observer's label maps as predictions against the dataset's labels (first observer).

    ``dataset_cfg`` is a test dataset config (e.g. ``cfg.data.test``) of a set whose class declares
    ``SECOND_OBSERVER_SUFFIX`` (DRIVE ``_manual2.png``, STARE ``.vk.png``, CHASE_DB1 ``_2ndHO.png``). Returns what
    ``dataset.evaluate(metric='mDice')`` returns; with FOV masks the vessel protocol is included (its AUC is NaN:
    a human label has no probabilities). Only the validation split of DRIVE has second-observer files.
    """
    reference = build_dataset(copy.deepcopy(dataset_cfg))
    suffix = getattr(reference, 'SECOND_OBSERVER_SUFFIX', None)
    if suffix is None:
        raise ValueError(f'{type(reference).__name__} has no second observer (no SECOND_OBSERVER_SUFFIX)')
    observer = build_dataset(dict(copy.deepcopy(dataset_cfg), seg_map_suffix=suffix))
    if [info['filename'] for info in observer.img_infos] != [info['filename'] for info in reference.img_infos]:
        raise ValueError(f'the second observer ({suffix}) covers other images than the first observer')
    preds = [observer.get_gt_seg_map_by_idx(idx) for idx in range(len(observer))]
    return reference.evaluate(preds, metric='mDice')
