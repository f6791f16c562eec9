"""Fixtures of the engine equality tests: one scale-0.1 sample and its DuckDB night per session.

Not a conftest.py: the other test folders import helpers `from conftest`, which a second conftest
module on the path would shadow. The engine tests import these fixtures by name.

An engine test runs only when MOT_TEST_ENGINES names its engine (`.ci/run` sets it once it has
started the engines): locally, `MOT_TEST_ENGINES=postgres .venv/bin/pytest tests/engines -m engine_postgres`
after `make postgres-up`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from engine_nights import ENGINE_SCALE, ENGINE_SEED, duckdb_settings, run_night

from orchestration.settings import Settings


@pytest.fixture(scope="session")
def engine_sample(request, tmp_path_factory) -> Path:
    """Scale-0.1 exports: the session's own sample when the session runs at that scale."""
    if float(os.environ.get("MOT_TEST_SCALE", "1")) == ENGINE_SCALE:
        return request.getfixturevalue("sample")
    from orchestration.generator import generate

    landing = tmp_path_factory.mktemp("engine_landing")
    generate(landing, scale=ENGINE_SCALE, seed=ENGINE_SEED)
    return landing


@pytest.fixture(scope="session")
def duckdb_baseline(request, engine_sample, tmp_path_factory) -> Settings:
    """The DuckDB target's night on engine_sample (the session's `nightly` when it is that night)."""
    if float(os.environ.get("MOT_TEST_SCALE", "1")) == ENGINE_SCALE:
        return request.getfixturevalue("nightly").settings
    settings = duckdb_settings(tmp_path_factory.mktemp("engine_duckdb"), engine_sample)
    result = run_night(settings)
    assert result.success, "the DuckDB baseline night failed"
    return settings


@pytest.fixture
def restored_environ():
    """A night exports its settings to the environment of dbt (Settings.export): undone afterwards,
    so the tests after this one see the DuckDB target again."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
