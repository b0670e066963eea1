"""Score a model on another dataset's test split: swap ``data.test`` of its config, keep the model."""
from typing import Optional

from mmcv.config import Config


def use_test_set(cfg: Config, dataset_config: str, cfg_options: Optional[dict] = None) -> Config:
    """Replace ``cfg.data.test`` by the ``data.test`` of ``dataset_config`` (e.g.
    ``configs/_base_/datasets/stare.py``, or any config that has one), in place; returns ``cfg``.

    The model (and its ``test_cfg``: slide windows, test mode) stays that of ``cfg``. ``cfg_options``
    (``--cfg-options``) are applied again afterwards, so ``data.test.data_root=...`` reaches the new set.
    """
    try:
        other = Config.fromfile(dataset_config)
    except (FileNotFoundError, OSError) as e:
        raise FileNotFoundError(f'--test-set {dataset_config}: cannot read it ({e})') from e
    test = other.get('data', {}).get('test')
    if test is None:
        raise KeyError(f'--test-set {dataset_config} has no data.test; give a dataset config such as '
                       'configs/_base_/datasets/stare.py')
    cfg.data.test = test
    cfg.test_set = dataset_config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg
