"""The nights the engine tests compare: a scale-0.1 sample, run through Dagster on each target."""

from __future__ import annotations

import os

# The DuckDB settings and the in-process night are the session's own (tests/conftest.py), by the
# names the engine tests read best.
from conftest import run_nightly as run_night  # noqa: F401
from conftest import settings_for as duckdb_settings  # noqa: F401

ENGINE_SCALE = 0.1
ENGINE_SEED = 42


def enabled_engines() -> set[str]:
    return set(os.environ.get("MOT_TEST_ENGINES", "").replace(",", " ").split())
