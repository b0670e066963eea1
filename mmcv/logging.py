"""Rank-aware loggers: rank 0 logs to stderr (and a file), other ranks report errors only."""
import logging
import os.path as osp
from typing import Optional, Union

from mmcv.dist import get_dist_info
from mmcv.fileio import mkdir_or_exist

LOG_FORMAT = '%(asctime)s - %(name)s - %(levelname)s - %(message)s'

_initialized = set()


def _has_file_handler(logger: logging.Logger, log_file: str) -> bool:
    path = osp.abspath(log_file)
    return any(isinstance(h, logging.FileHandler) and h.baseFilename == path for h in logger.handlers)


def _add_handler(logger: logging.Logger, handler: logging.Handler, level: int) -> None:
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(level)
    logger.addHandler(handler)


def get_logger(name: str, log_file: Optional[str] = None, log_level: int = logging.INFO,
               file_mode: str = 'w') -> logging.Logger:
    """Return the logger ``name``, setting it up on first use.

    The first call adds a stderr handler and, on rank 0 only, a handler writing ``log_file`` (opened
    with ``file_mode``). Later calls return the same logger without adding handlers again, except a
    file handler for a ``log_file`` it does not write yet. Ranks other than 0 log at ERROR level only.
    Children of a set-up logger ('mmseg.models' under 'mmseg') are returned as they are: their
    records reach the parent's handlers.
    """
    logger = logging.getLogger(name)
    rank, _ = get_dist_info()
    level = log_level if rank == 0 else logging.ERROR
    if any(name == done or name.startswith(done + '.') for done in _initialized):
        if name in _initialized:
            # Something may have reset the level since (pytest's log capture, a library's logging setup);
            # a logger left at NOTSET would defer to the root's WARNING and drop every INFO record.
            logger.setLevel(level)
            if log_file is not None and rank == 0 and not _has_file_handler(logger, log_file):
                mkdir_or_exist(osp.dirname(osp.abspath(log_file)))
                _add_handler(logger, logging.FileHandler(log_file, file_mode), level)
        return logger
    # A StreamHandler on the root logger (logging.basicConfig, some libraries) would print every
    # record a second time through propagation; leave it only the errors.
    for handler in logger.root.handlers:
        if type(handler) is logging.StreamHandler:
            handler.setLevel(logging.ERROR)
    _add_handler(logger, logging.StreamHandler(), level)
    if rank == 0 and log_file is not None:
        mkdir_or_exist(osp.dirname(osp.abspath(log_file)))
        _add_handler(logger, logging.FileHandler(log_file, file_mode), level)
    logger.setLevel(level)
    _initialized.add(name)
    return logger


def print_log(msg: str, logger: Union[logging.Logger, str, None] = None, level: int = logging.INFO) -> None:
    """Send ``msg`` to ``logger``: None prints it, 'silent' drops it, a name or Logger logs it."""
    if logger is None:
        print(msg)
    elif isinstance(logger, logging.Logger):
        logger.log(level, msg)
    elif logger == 'silent':
        return
    elif isinstance(logger, str):
        get_logger(logger).log(level, msg)
    else:
        raise TypeError(f"logger must be a logging.Logger, a logger name, 'silent' or None, "
                        f'got {type(logger).__name__}: {logger!r}')
