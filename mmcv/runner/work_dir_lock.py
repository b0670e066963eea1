"""One training run per work dir: a lock file naming the process that owns the folder.

``WORK_DIR/.train.lock`` holds the owner's pid, host, start time and command line. A second run into
the same folder is refused with those details. A lock whose process is gone (killed, crashed, the
machine rebooted) is stale: on the same host this is checked (the pid no longer runs, or runs a
younger process that reused it) and the lock is taken over with a warning. A lock from another host
cannot be checked from here; it is refused with the command that removes it once that run is known
to be gone. Distributed runs lock on rank 0 only (the launcher stops the other ranks if it fails).
"""
import json
import logging
import os
import os.path as osp
import socket
import sys
import time
from typing import Optional

LOCK_NAME = '.train.lock'


class WorkDirLocked(RuntimeError):
    """Another live run owns the work dir."""


def _process_start(pid: int) -> Optional[str]:
    """The start time of ``pid`` in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: int, start: Optional[str]) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        pass
    now = _process_start(pid)
    return start is None or now is None or now == start


class WorkDirLock:
    """``with WorkDirLock(work_dir): ...`` or ``acquire()`` / ``release()``; release is idempotent."""

    def __init__(self, work_dir: str, logger: Optional[logging.Logger] = None):
        self.work_dir = str(work_dir)
        self.path = osp.join(self.work_dir, LOCK_NAME)
        self.logger = logger or logging.getLogger('mmcv')
        self.held = False
        self._record = dict(pid=os.getpid(), host=socket.gethostname(), start=_process_start(os.getpid()),
                            started=time.strftime('%Y-%m-%d %H:%M:%S'), argv=sys.argv)

    def _read(self) -> Optional[dict]:
        try:
            with open(self.path) as f:
                record = json.load(f)
            return record if isinstance(record, dict) and isinstance(record.get('pid'), int) else None
        except FileNotFoundError:
            raise
        except (OSError, ValueError):
            return None

    def _is_stale(self, holder: Optional[dict]) -> Optional[str]:
        """Why the lock of ``holder`` can be taken over, or None when its run may still be going."""
        if holder is None:
            age = time.time() - os.stat(self.path).st_mtime
            return 'it is unreadable' if age > 10 else None  # young: its owner may still be writing it
        if holder.get('host') != self._record['host']:
            return None
        if holder['pid'] == os.getpid():
            return 'it was left by this process'
        if not _alive(holder['pid'], holder.get('start')):
            return f'process {holder["pid"]} is gone'
        return None

    def acquire(self) -> 'WorkDirLock':
        text = json.dumps(self._record)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    holder = self._read()
                    reason = self._is_stale(holder)
                except FileNotFoundError:  # released meanwhile
                    continue
                if reason is None:
                    raise WorkDirLocked(self._refusal(holder)) from None
                self.logger.warning(f'removed the stale lock {self.path} ({reason}): '
                                    f'{json.dumps(holder) if holder else "no owner recorded"}')
                try:
                    os.remove(self.path)
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, 'w') as f:
                f.write(text)
            self.held = True
            return self
        raise WorkDirLocked(f'cannot lock {self.work_dir}: {self.path} keeps reappearing (another run is starting)')

    def _refusal(self, holder: Optional[dict]) -> str:
        if holder is None:
            return (f'{self.work_dir} is being locked by another run right now ({self.path} is being written); '
                    'use another --work-dir or try again')
        where = ('on this host' if holder.get('host') == self._record['host']
                 else f'on host {holder.get("host")} (it cannot be checked from {self._record["host"]})')
        command = ' '.join(map(str, holder.get('argv') or [])) or 'unknown'
        return (f'{self.work_dir} is in use by another training run: pid {holder["pid"]} {where}, started '
                f'{holder.get("started", "?")}, command: {command}. Two runs in one work dir would mix their '
                f'logs and checkpoints: use another --work-dir, or wait for that run to end. If it is gone, '
                f'remove {self.path}.')

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            holder = self._read()
        except FileNotFoundError:
            return
        if holder is not None and holder.get('pid') == self._record['pid'] and holder.get('host') == self._record[
                'host']:
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass

    def __enter__(self) -> 'WorkDirLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
