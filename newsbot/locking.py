"""One crawl at a time: ``newsbot crawl --lock FILE`` for cron.

A scheduled crawl that is still running when cron starts the next one must not run twice.
:func:`crawl_lock` takes an exclusive ``fcntl.flock`` on ``FILE`` (default ``data/crawl.lock``)
for as long as the crawl runs; a second invocation finds it held and stops at once with
:data:`EXIT_LOCKED` and a message naming the holder. The kernel releases the lock when its
process ends, however it ends, so a killed crawl leaves no stale lock behind (the file stays;
its content only says who held it last).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_LOCK = "data/crawl.lock"
# EX_TEMPFAIL (sysexits.h): not an error of the crawl, try again at the next run.
EXIT_LOCKED = 75


class LockHeld(RuntimeError):
    """Another process holds the lock."""


@contextmanager
def crawl_lock(path: str | Path = DEFAULT_LOCK) -> Iterator[Path]:
    """Hold an exclusive lock on ``path`` (created, with its directory); raise
    :class:`LockHeld` at once when another process holds it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
            raise LockHeld(
                f"another crawl holds {path}" + (f" ({holder})" if holder else "")
            ) from None
        since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {since}\n".encode(), 0)
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def run_locked(path: str | Path, run: Callable[[], int], prog: str = "newsbot crawl") -> int:
    """``run()`` while holding the lock on ``path``; :data:`EXIT_LOCKED` with a message on
    stderr when another crawl holds it."""
    try:
        with crawl_lock(path):
            return run()
    except LockHeld as held:
        print(f"{prog}: {held}; not starting", file=sys.stderr)
        return EXIT_LOCKED


__all__ = ["DEFAULT_LOCK", "EXIT_LOCKED", "LockHeld", "crawl_lock", "run_locked"]
