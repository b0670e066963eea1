"""mmcv: the project's foundation (config, registry, IO, runner, distributed helpers, compiled ops).

Names are imported lazily so that ``import mmcv`` stays cheap and a tool pays only for what it uses.
"""
import importlib


_EXPORTS = {
    'Config': 'config', 'ConfigDict': 'config', 'DictAction': 'config',
    'Registry': 'registry', 'build_from_cfg': 'registry',
    'mkdir_or_exist': 'fileio', 'atomic_write': 'fileio', 'scandir': 'fileio', 'load': 'fileio',
    'dump': 'fileio', 'check_file_exist': 'fileio',
    'imread': 'image', 'imwrite': 'image', 'imfrombytes': 'image', 'imresize': 'image',
    'imrescale': 'image', 'imflip': 'image', 'imnormalize': 'image', 'impad': 'image',
    'impad_to_multiple': 'image', 'bgr2hsv': 'image', 'hsv2bgr': 'image', 'imcrop': 'image',
    'rescale_size': 'image', 'imencode': 'image', 'imnormalize_': 'image', 'bgr2rgb': 'image',
    'save_checkpoint': 'checkpoint', 'load_checkpoint': 'checkpoint',
    'MMDataParallel': 'parallel', 'MMDistributedDataParallel': 'parallel', 'is_module_wrapper': 'parallel',
    'unwrap_model': 'parallel', 'has_sync_batchnorm': 'parallel', 'revert_sync_batchnorm': 'parallel',
    'get_logger': 'logging', 'print_log': 'logging',
    'get_dist_info': 'dist', 'init_dist': 'dist', 'master_only': 'dist', 'is_distributed': 'dist',
    'barrier': 'dist', 'collect_results_cpu': 'dist', 'collect_results_gpu': 'dist',
    'sync_random_seed': 'dist', 'all_reduce_mean': 'dist',
}


def __getattr__(name):
    if name == '__version__':  # the release plus the git commit of the tree (mmcv/version.py)
        from .version import full_version
        return full_version()
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mmcv' has no attribute {name!r}")
    return getattr(importlib.import_module(f'mmcv.{module}'), name)


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS) + ['__version__'])
