"""Training machinery: the iteration-based runner, its hooks, and builders for runners and optimizers."""
from .builder import HOOKS, RUNNERS, build_runner
from .hooks import (AmpOptimizerHook, CheckpointHook, DistEvalHook, EvalHook, Hook, IterTimerHook, LoggerHook,
                    LrUpdaterHook, OptimizerHook, PolyLrUpdaterHook, StepLrUpdaterHook, TensorboardLoggerHook,
                    TextLoggerHook)
from .iter_based_runner import IterBasedRunner
from .iter_loader import IterLoader
from .log_buffer import LogBuffer
from .loss_guard import LossGuard
from .optimizer import OPTIMIZERS, build_optimizer
from .priority import Priority, get_priority
from .test_loops import multi_gpu_test, single_gpu_test

__all__ = ['HOOKS', 'RUNNERS', 'OPTIMIZERS', 'build_runner', 'build_optimizer', 'IterBasedRunner', 'IterLoader',
           'LogBuffer', 'LossGuard', 'Priority', 'get_priority', 'Hook', 'CheckpointHook', 'EvalHook', 'DistEvalHook',
           'IterTimerHook', 'LoggerHook', 'TextLoggerHook', 'TensorboardLoggerHook', 'LrUpdaterHook',
           'PolyLrUpdaterHook', 'StepLrUpdaterHook', 'OptimizerHook', 'AmpOptimizerHook', 'single_gpu_test',
           'multi_gpu_test']
