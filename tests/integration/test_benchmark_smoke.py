"""A tiny run of the benchmark, so the script keeps working; no timing is asserted."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench  # noqa: E402

pytestmark = pytest.mark.slow


def test_benchmark_runs_every_measurement_at_a_tiny_scale(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert bench.main(["--scale", "0.02", "--workdir", str(tmp_path / "work"), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    [result] = report["results"]
    for key in ("ingest_s", "duckdb_load_s", "dbt_models_s", "dbt_build_s", "bare_sql_s",
                "dbt_incremental_s", "night_s", "incremental_night_s", "reference_s", "night_peak_rss_gib"):
        assert result[key] > 0, key
    # Every web event and CRM row is read once: more rows than web events alone.
    assert result["ingest_rows"] > result["web_events"] > 0
    assert result["bare_models"] >= 10
    # The night's profile: every step of the Dagster run timed, ingestion and dbt among them.
    steps = result["night_steps_s"]
    assert any("web_events" in step for step in steps) and any("dbt" in step for step in steps), steps
    # the incremental night brought the new day: it ran its ingestion and dbt, it did not stop at "no new data"
    incremental = result["incremental_night_steps_s"]
    assert any("web_events" in step for step in incremental) and any("dbt" in step for step in incremental), incremental
    assert set(result["reference_steps_s"]) >= {"load", "sessions", "stitching", "moments", "journey", "speed_to_lead"}
    printed = capsys.readouterr().out
    for target in report["targets"]:
        assert target["target"] in printed
        assert isinstance(target["met"], bool)
    # Progress: a line as each step ends, so a long benchmark is never silent.
    assert "  generate: " in printed and "  night: " in printed
    # The definitions load beside its floor, which no project goes below.
    floor = report["definitions_load_floor_s"]
    assert 0 < floor["dagster"] <= floor["dagster_dbt"]
    assert 0 < floor["dagster_cpu"] <= floor["dagster_dbt_cpu"] <= report["definitions_load_cpu_s"]
    assert "import dagster + dagster_dbt" in printed
