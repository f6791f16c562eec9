"""The one guard of the warehouse: a night holds an exclusive lock beside the DuckDB file.

DuckDB allows one writer per file, and a second night started while one runs (a `mot run` while
the schedule's run is on, two `mot run`s, a run launched from the UI) used to fail on DuckDB's own
lock halfway, sometimes in a check. Every run takes this lock first, whoever started it (the CLI
before it starts the job, the Dagster run when its warehouse resource is set up), so a second
night waits for the first, saying so, and gives up with a clear message after a timeout.

The lock is `flock` on <warehouse folder>/.night.lock: the kernel releases it when its process
dies, so a killed night never leaves a stale lock behind. Within one process the lock is
re-entrant (the CLI holds it, then the in-process Dagster run asks for it again).
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

LOCK_NAME = ".night.lock"
POLL_SECONDS = 0.5

# lock file -> (open descriptor, depth) for the locks this process holds
_held: dict[str, list] = {}


class WarehouseBusy(Exception):
    """Another night held the warehouse for longer than this one was willing to wait."""


def lock_path(warehouse_path: Path) -> Path:
    return Path(warehouse_path).parent / LOCK_NAME


def holder_pid(path: Path) -> str:
    try:
        return path.read_text().strip() or "?"
    except OSError:
        return "?"


def acquire(warehouse_path: Path, timeout_seconds: float, log: Callable[[str], None] = print) -> Path:
    """Take the night lock, waiting up to `timeout_seconds`; raise WarehouseBusy when it stays taken."""
    path = lock_path(warehouse_path)
    key = str(path.resolve()) if path.parent.exists() else str(path)
    if key in _held:
        _held[key][1] += 1
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline, told = time.monotonic() + timeout_seconds, False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            pid = holder_pid(path)
            if time.monotonic() >= deadline:
                os.close(fd)
                raise WarehouseBusy(
                    f"the warehouse {warehouse_path} is in use by another night (pid {pid}); waited "
                    f"{timeout_seconds:g}s. Try again when it has finished, or raise MOT_LOCK_TIMEOUT_SECONDS."
                ) from None
            if not told:
                log(f"waiting for the night already running (pid {pid}) to finish with {warehouse_path} "
                    f"(up to {timeout_seconds:g}s)")
                told = True
            time.sleep(POLL_SECONDS)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _held[key] = [fd, 1]
    if told:
        log("the other night has finished: this one starts")
    return path


def release(warehouse_path: Path) -> None:
    path = lock_path(warehouse_path)
    key = str(path.resolve()) if path.parent.exists() else str(path)
    entry = _held.get(key)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] == 0:
        del _held[key]
        fd = entry[0]
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def night_lock(warehouse_path: Path, timeout_seconds: float, log: Callable[[str], None] = print) -> Iterator[Path]:
    path = acquire(warehouse_path, timeout_seconds, log)
    try:
        yield path
    finally:
        release(warehouse_path)
