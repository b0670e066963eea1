"""SIGTERM and Ctrl-C (SIGINT) for the converter command lines: stop like an error, never between two renames.

``timeout``, slurm and ``docker stop`` send SIGTERM, which by default ends Python at once and would leave
the temporary tree behind. Inside :func:`handle_signals` both signals raise :class:`Interrupted` instead,
so the output writer removes its temporary folders on the way out; inside :func:`uninterrupted` (the
final renames and the clean-up) a signal is held back and raised when the section ends.
"""
import signal
import threading
from contextlib import contextmanager
from typing import Iterator, Optional

SIGNALS = (signal.SIGTERM, signal.SIGINT)
_state = {'critical': 0, 'pending': None}


class Interrupted(BaseException):
    """A converter stopped by SIGTERM or SIGINT. ``complete``: the output had already been moved into place."""

    def __init__(self, signum: int, complete: bool = False):
        self.signum, self.complete = signum, complete
        name = signal.Signals(signum).name
        done = ('the output was already complete and is kept' if complete
                else 'nothing was written (its temporary folders were removed)')
        super().__init__(f'interrupted by {name}: {done}')


def _raise(signum: int, frame) -> None:
    if _state['critical']:
        _state['pending'] = signum
        return
    raise Interrupted(signum)


@contextmanager
def handle_signals() -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`Interrupted` inside the block (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _state['pending'] = None


@contextmanager
def uninterrupted(complete: bool = False) -> Iterator[None]:
    """Hold SIGTERM/SIGINT back during the block; one that came is raised when the block ends normally
    (:class:`Interrupted` with ``complete`` as given). An error leaving the block wins over a held signal."""
    _state['critical'] += 1
    try:
        yield
    except BaseException:
        _state['critical'] -= 1
        if not _state['critical']:
            _state['pending'] = None
        raise
    _state['critical'] -= 1
    pending: Optional[int] = _state['pending'] if not _state['critical'] else None
    if pending is not None:
        _state['pending'] = None
        raise Interrupted(pending, complete=complete)
