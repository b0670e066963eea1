"""get_logger / print_log: one set of handlers per logger, files on rank 0 only."""
import logging
import re
import uuid

import pytest

import mmcv.logging as mmcv_logging
from mmcv.logging import get_logger, print_log

LINE = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (\S+) - (\w+) - (.*)$')


@pytest.fixture
def name():
    """A fresh logger name; its handlers are closed afterwards so log files are released."""
    logger_name = f'test_{uuid.uuid4().hex[:8]}'
    yield logger_name
    logger = logging.getLogger(logger_name)
    for handler in list(logger.handlers):
        handler.close()
        logger.removeHandler(handler)
    mmcv_logging._initialized.discard(logger_name)


def test_get_logger_is_idempotent(name, tmp_path):
    logger = get_logger(name, log_file=str(tmp_path / 'a.log'))
    handlers = list(logger.handlers)
    assert get_logger(name) is logger
    assert get_logger(name, log_file=str(tmp_path / 'a.log')) is logger
    assert logger.handlers == handlers and len(handlers) == 2


def test_log_file_lines_follow_the_format(name, tmp_path):
    log_file = tmp_path / 'logs' / 'run.log'
    logger = get_logger(name, log_file=str(log_file))
    logger.info('hello')
    logger.debug('too detailed')
    lines = log_file.read_text().splitlines()
    assert len(lines) == 1
    assert LINE.match(lines[0]).groups() == (name, 'INFO', 'hello')


def test_stream_handler_writes_to_stderr(name, capsys):
    get_logger(name).warning('careful')
    captured = capsys.readouterr()
    assert 'WARNING - careful' in captured.err and captured.out == ''


def test_log_level_and_file_mode(name, tmp_path):
    log_file = tmp_path / 'run.log'
    log_file.write_text('previous run\n')
    logger = get_logger(name, log_file=str(log_file), log_level=logging.DEBUG, file_mode='a')
    logger.debug('details')
    assert log_file.read_text().splitlines()[0] == 'previous run'
    assert log_file.read_text().splitlines()[1].endswith('DEBUG - details')


def test_a_later_log_file_is_added_once(name, tmp_path):
    logger = get_logger(name)
    get_logger(name, log_file=str(tmp_path / 'late.log'))
    get_logger(name, log_file=str(tmp_path / 'late.log'))
    logger.info('now in the file')
    assert len(logger.handlers) == 2
    assert (tmp_path / 'late.log').read_text().count('now in the file') == 1


def test_other_ranks_log_errors_only_and_write_no_file(name, tmp_path, monkeypatch):
    monkeypatch.setattr(mmcv_logging, 'get_dist_info', lambda: (1, 2))
    logger = get_logger(name, log_file=str(tmp_path / 'rank1.log'))
    assert logger.level == logging.ERROR
    assert not (tmp_path / 'rank1.log').exists()
    assert not any(isinstance(h, logging.FileHandler) for h in logger.handlers)


def test_child_of_a_set_up_logger_gets_no_handlers_of_its_own(name, tmp_path):
    get_logger(name, log_file=str(tmp_path / 'parent.log'))
    child = get_logger(f'{name}.child')
    child.info('from the child')
    assert child.handlers == []
    assert 'from the child' in (tmp_path / 'parent.log').read_text()


def test_print_log_targets(name, tmp_path, capsys):
    print_log('to stdout')
    assert capsys.readouterr().out == 'to stdout\n'
    print_log('nowhere', logger='silent')
    assert capsys.readouterr() == ('', '')
    logger = get_logger(name, log_file=str(tmp_path / 'p.log'))
    print_log('by object', logger=logger, level=logging.WARNING)
    print_log('by name', logger=name)
    lines = [LINE.match(line).groups()[1:] for line in (tmp_path / 'p.log').read_text().splitlines()]
    assert lines == [('WARNING', 'by object'), ('INFO', 'by name')]
    with pytest.raises(TypeError, match="logger must be a logging.Logger, a logger name, 'silent' or None"):
        print_log('x', logger=3)


def test_a_logger_whose_level_was_reset_logs_again_on_the_next_setup_call(name, tmp_path):
    """Log capture or a library may reset a set-up logger to NOTSET (then the root's WARNING drops INFO);
    the next get_logger call, e.g. a training run after a test run in one process, restores the level."""
    logger = get_logger(name)
    logger.setLevel(logging.NOTSET)
    get_logger(name, log_file=str(tmp_path / 'train.log'))
    logger.info('training starts')
    assert 'training starts' in (tmp_path / 'train.log').read_text()
