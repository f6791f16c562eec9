"""Fixtures of the write-audit-publish tests (a pytest plugin loaded by tests/conftest.py): a small sample, and `mot run` as a real subprocess.

The fault tests kill a running pipeline, so it runs in its own process (and process group: dbt is
its child) exactly as the scheduler would start it, against throwaway paths.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from orchestration.settings import PROJECT_DIR

SMALL_SCALE = float(os.environ.get("MOT_FAULT_TEST_SCALE", "0.05"))
RUN_TIMEOUT = 900


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory) -> Path:
    """A scale-0.05 landing folder: a whole night in a fraction of the scale-1 time."""
    from orchestration.generator import generate

    landing = tmp_path_factory.mktemp("small_landing")
    generate(landing, scale=SMALL_SCALE, seed=42)
    return landing


def mot_env(root: Path, landing: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MOT_LANDING_DIR=str(landing),
        MOT_WAREHOUSE_PATH=str(root / "warehouse" / "warehouse.duckdb"),
        MOT_PUBLISH_DIR=str(root / "published"),
        MOT_REPORTS_DIR=str(root / "reports"),
        DAGSTER_HOME=str(root / "dagster_home"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        GX_ANALYTICS_ENABLED="false",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class MotRun:
    returncode: int
    output: str
    killed: bool
    seconds: float
    lines: list[str] = field(default_factory=list)


def run_mot(env: dict[str, str], kill_when: Callable[[str | None], bool] | None = None,
            args: tuple[str, ...] = ()) -> MotRun:
    """`mot run` in its own process group; SIGKILL the whole group as soon as `kill_when` says so.

    `kill_when` is called with each output line, and with None every few milliseconds (to poll files).
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "mot"), "run", "--verbose", *args],  # --verbose: the step lines
        cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    killed = threading.Event()

    def kill() -> None:
        if not killed.is_set():
            killed.set()
            os.killpg(process.pid, signal.SIGKILL)

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            if kill_when is not None and not killed.is_set() and kill_when(line):
                kill()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + RUN_TIMEOUT
    while process.poll() is None:
        if kill_when is not None and not killed.is_set() and kill_when(None):
            kill()
        if time.monotonic() > deadline:
            kill()
            raise AssertionError("mot run did not finish in time:\n" + "".join(lines[-40:]))
        time.sleep(0.005)
    reader.join(timeout=10)
    if killed.is_set():
        try:  # the group's other members (dbt) die with it; wait until none holds the warehouse
            for _ in range(200):
                os.killpg(process.pid, 0)
                time.sleep(0.05)
        except ProcessLookupError:
            pass
    return MotRun(process.returncode, "".join(lines), killed.is_set(), time.perf_counter() - started, lines)


@dataclass
class Baseline:
    root: Path
    env: dict[str, str]
    run: MotRun

    @property
    def published(self) -> Path:
        return self.root / "published" / "marts.duckdb"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "warehouse.duckdb"


@pytest.fixture(scope="session")
def baseline(small_sample, tmp_path_factory) -> Baseline:
    """One uninterrupted night on the small sample: the result every faulty night must reproduce."""
    root = tmp_path_factory.mktemp("baseline")
    env = mot_env(root, small_sample)
    result = run_mot(env)
    assert result.returncode == 0, result.output[-6000:]
    return Baseline(root, env, result)


def copy_published(baseline: Baseline, root: Path) -> Path:
    target = root / "published" / "marts.duckdb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(baseline.published, target)
    return target
