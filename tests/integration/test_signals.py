"""`mot run` stopped by SIGTERM or SIGINT sent to its pid alone (what a scheduler, systemd or a
Ctrl-C does) passes the stop on to dbt and waits for it: when it exits, no process of its group is
left, nothing holds the warehouse, and the next night can start at once. A SIGKILL, which no
handler sees, takes dbt down with it too (the kernel does, dbt_launcher.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from orchestration import guard
from orchestration.settings import PROJECT_DIR

from wap_fixtures import mot_env

STOP_WITHIN_SECONDS = 60


def dbt_below(pid: int) -> list[int]:
    """The `dbt build` processes below `pid` (a night may run shorter dbt commands first)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry.name))
    found, queue = [], list(parents.get(pid, []))
    while queue:
        child = queue.pop()
        queue += parents.get(child, [])
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if any(part.endswith(b"dbt") for part in command) and b"build" in command:
                found.append(child)
        except OSError:
            pass
    return found


def dbt_in_group(pgid: int) -> list[int]:
    """The live dbt processes of a process group, wherever they were reparented."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z" and any(part.endswith(b"dbt") for part in command):
                found.append(int(entry.name))
    return found


def start_night(env: dict[str, str]) -> tuple[subprocess.Popen, list[str], threading.Thread]:
    """`mot run` in its own process group, its output collected; returns once `dbt build` is building."""
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "mot"), "run", "--verbose"], cwd=PROJECT_DIR, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 900
    while not dbt_below(process.pid):
        assert process.poll() is None, "mot run ended before dbt started:\n" + "".join(lines[-30:])
        assert time.monotonic() < deadline, "dbt never started"
        time.sleep(0.05)
    time.sleep(2)  # dbt is building
    assert dbt_below(process.pid), "dbt ended before it could be stopped"
    return process, lines, reader


def assert_next_night_starts_at_once(env: dict[str, str]) -> None:
    """The night lock and DuckDB's own file lock are free at once."""
    warehouse = Path(env["MOT_WAREHOUSE_PATH"])
    guard.acquire(warehouse, timeout_seconds=0)
    guard.release(warehouse)
    duckdb.connect(str(warehouse)).close()


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # zombies of the group count as gone: only their parent's wait remains
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_run_leaves_no_dbt_behind_and_the_next_starts_at_once(small_sample, tmp_path, stop):
    env = mot_env(tmp_path, small_sample)
    process, lines, reader = start_night(env)
    try:
        os.kill(process.pid, stop)  # the pid alone, not its group
        process.wait(timeout=STOP_WITHIN_SECONDS)
        reader.join(timeout=10)
        output = "".join(lines)
        assert process.returncode == 128 + stop, output[-2000:]
        assert f"{signal.Signals(stop).name}: stopping the night" in output, output[-2000:]
        assert not group_alive(process.pid), "a process of the stopped run is still running:\n" + output[-2000:]
        assert_next_night_starts_at_once(env)
    finally:
        if process.poll() is None or group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)


# How long the kernel gets to end an orphaned dbt (it is immediate; the margin is for a busy machine).
ORPHAN_GONE_WITHIN_SECONDS = 5


def test_a_killed_run_takes_its_dbt_with_it_and_the_next_starts_at_once(small_sample, tmp_path):
    """`kill -9` of `mot run` alone: no handler runs, yet its dbt build does not run on orphaned."""
    env = mot_env(tmp_path, small_sample)
    process, lines, _ = start_night(env)
    try:
        [dbt] = dbt_below(process.pid)
        os.kill(process.pid, signal.SIGKILL)  # the pid alone, not its group
        process.wait(timeout=10)
        deadline = time.monotonic() + ORPHAN_GONE_WITHIN_SECONDS
        while dbt_in_group(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not dbt_in_group(process.pid), f"dbt (pid {dbt}) outlived the killed run:\n" + "".join(lines[-20:])
        assert_next_night_starts_at_once(env)
    finally:
        if group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
