from .checkpoint import CheckpointHook
from .evaluation import DistEvalHook, EvalHook
from .hook import Hook
from .iter_timer import IterTimerHook
from .logger import LoggerHook, TensorboardLoggerHook, TextLoggerHook
from .lr_updater import LrUpdaterHook, PolyLrUpdaterHook, StepLrUpdaterHook
from .optimizer import AmpOptimizerHook, OptimizerHook

__all__ = ['Hook', 'CheckpointHook', 'EvalHook', 'DistEvalHook', 'IterTimerHook', 'LoggerHook', 'TextLoggerHook',
           'TensorboardLoggerHook', 'LrUpdaterHook', 'PolyLrUpdaterHook', 'StepLrUpdaterHook', 'OptimizerHook',
           'AmpOptimizerHook']
