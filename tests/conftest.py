"""Shared fixtures: one generated sample and one warehouse built through Dagster per session."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from orchestration.settings import Settings  # noqa: E402

# The write-audit-publish tests' fixtures (a small sample, `mot run` as a killable subprocess).
pytest_plugins = ["wap_fixtures"]

SCALE = float(os.environ.get("MOT_TEST_SCALE", "1"))
SEED = 42


@dataclass
class NightlyRun:
    settings: Settings
    result: object  # dagster ExecuteInProcessResult
    truth: dict


def settings_for(root: Path, landing: Path) -> Settings:
    return Settings(
        landing_dir=landing,
        warehouse_path=root / "warehouse" / "warehouse.duckdb",
        publish_dir=root / "published",
        reports_dir=root / "reports",
        dbt_target="duckdb",
        duckdb_memory_limit="4GB",
        duckdb_threads=2,
    )


def run_nightly(settings: Settings):
    """The nightly job, materialized for real through Dagster against `settings`' paths."""
    from dagster import DagsterInstance

    from orchestration.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def("nightly")
    with DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False)


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Path:
    from orchestration.generator import generate

    landing = tmp_path_factory.mktemp("landing")
    generate(landing, scale=SCALE, seed=SEED)
    return landing


@pytest.fixture(scope="session")
def truth(sample) -> dict:
    return json.loads((sample / "truth.json").read_text())


@pytest.fixture(scope="session")
def nightly(sample, truth, tmp_path_factory) -> NightlyRun:
    settings = settings_for(tmp_path_factory.mktemp("nightly"), sample)
    result = run_nightly(settings)
    return NightlyRun(settings, result, truth)


def planted_rows_by_table(truth: dict) -> dict[str, tuple[int, int]]:
    """(rows written, malformed rows planted) per raw table, from the generator's truth file."""
    from fnmatch import fnmatch

    from orchestration.ingestion import load_config

    by_table = {}
    for spec in load_config():
        files = [name for name in truth["dirt"] if name == spec.files or fnmatch(name, spec.files)]
        by_table[spec.raw_table] = (
            sum(truth["dirt"][f]["rows_written"] for f in files),
            sum(len(truth["dirt"][f]["malformed"]) for f in files),
        )
    return by_table
