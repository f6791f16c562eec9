"""A backfill of a date range of daily web-event shards, through the documented command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import settings_for

BIN = Path(sys.executable).parent
DAYS = ["2026-01-02", "2026-01-03", "2026-01-04"]


def shard(landing: Path, day: str) -> Path:
    return landing / "web" / f"events_{day.replace('-', '')}.ndjson"


def lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


@pytest.fixture(scope="module")
def small_landing(tmp_path_factory) -> Path:
    from orchestration.generator import generate

    landing = tmp_path_factory.mktemp("landing")
    generate(landing, scale=0.05, seed=11)
    return landing


def test_a_three_day_backfill_loads_exactly_those_shards_and_marks_those_partitions(small_landing, tmp_path):
    from dagster import AssetKey, DagsterInstance

    settings = settings_for(tmp_path, small_landing)
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {
        **os.environ, "DAGSTER_HOME": str(home), "MOT_LANDING_DIR": str(small_landing),
        "MOT_WAREHOUSE_PATH": str(settings.warehouse_path), "MOT_PUBLISH_DIR": str(settings.publish_dir),
        "MOT_REPORTS_DIR": str(settings.reports_dir),
    }
    completed = subprocess.run(
        [str(BIN / "dagster"), "asset", "materialize", "-m", "orchestration.definitions",
         "--select", "raw/web_events", "--partition-range", f"{DAYS[0]}...{DAYS[-1]}"],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as wh:
        loaded = dict(wh.execute(
            "select source_file, rows_read from ingest.load_log where raw_table = 'web_events'"
        ).fetchall())
        rows = wh.execute("select count(*) from raw.web_events").fetchone()[0]
        quarantined = wh.execute("select count(*) from ingest.quarantine").fetchone()[0]
    expected = {f"web/{shard(small_landing, d).name}": lines(shard(small_landing, d)) for d in DAYS}
    assert loaded == expected
    assert rows + quarantined == sum(expected.values())

    with DagsterInstance.from_config(str(home)) as instance:
        partitions = instance.get_materialized_partitions(AssetKey(["raw", "web_events"]))
    assert sorted(partitions) == DAYS


def test_an_overlapping_range_loads_only_the_new_days(small_landing, tmp_path):
    from dagster import AssetKey, AssetSelection, DagsterInstance, Definitions, define_asset_job

    from orchestration.defs.ingestion import ingestion_assets
    from orchestration.defs.resources import build_resources

    settings = settings_for(tmp_path, small_landing)
    # The real web-events asset without its GX check (the first test runs that).
    web = define_asset_job("web", selection=AssetSelection.assets(AssetKey(["raw", "web_events"])).without_checks())
    job = Definitions(assets=ingestion_assets, jobs=[web], resources=build_resources(settings)).resolve_job_def("web")
    with DagsterInstance.ephemeral() as instance:
        for first, last in [("2026-01-02", "2026-01-03"), ("2026-01-03", "2026-01-04")]:
            result = job.execute_in_process(
                instance=instance, raise_on_error=False,
                tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
            )
            assert result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as wh:
        log = wh.execute("select source_file, status from ingest.load_log order by loaded_at").fetchall()
    # 2026-01-03 was in both ranges: loaded once, then recognised as unchanged (not logged again).
    assert [f for f, _ in log] == [f"web/{shard(small_landing, d).name}" for d in DAYS]


def test_a_partitioned_run_hands_its_window_to_dbt_as_vars():
    from orchestration.defs.dbt import partition_window_vars

    assert partition_window_vars({
        "dagster/asset_partition_range_start": "2026-01-02", "dagster/asset_partition_range_end": "2026-01-04",
    }) == {"window_start": "2026-01-02", "window_end": "2026-01-04"}
    assert partition_window_vars({"dagster/partition": "2026-01-05"}) == {
        "window_start": "2026-01-05", "window_end": "2026-01-05",
    }
    assert partition_window_vars({}) == {}
    assert json.dumps(partition_window_vars({"dagster/partition": "2026-01-05"}))
