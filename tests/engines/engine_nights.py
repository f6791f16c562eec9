"""The nights the engine tests compare: a scale-0.1 sample, run through Dagster on each target."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.settings import Settings

ENGINE_SCALE = 0.1
ENGINE_SEED = 42


def enabled_engines() -> set[str]:
    return set(os.environ.get("MOT_TEST_ENGINES", "").replace(",", " ").split())


def duckdb_settings(root: Path, landing: Path) -> Settings:
    return Settings(
        landing_dir=landing,
        warehouse_path=root / "warehouse" / "warehouse.duckdb",
        publish_dir=root / "published",
        reports_dir=root / "reports",
        dbt_target="duckdb",
        duckdb_memory_limit="4GB",
        duckdb_threads=2,
    )


def run_night(settings: Settings):
    """The nightly job through Dagster against these settings (as `mot run` would, in process)."""
    from dagster import DagsterInstance

    from orchestration.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def("nightly")
    with DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False)
