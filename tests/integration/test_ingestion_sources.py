"""Each source's ingestion on generated exports: everything read is loaded or quarantined, once."""

from __future__ import annotations

import duckdb
import pytest
from conftest import planted_rows_by_table

from orchestration.ingestion import ingest_table, load_config

SPECS = load_config()


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    from orchestration.generator import generate

    landing = tmp_path_factory.mktemp("small-landing")
    truth = generate(landing, scale=0.05, seed=11)
    return landing, truth


@pytest.mark.parametrize("spec", SPECS, ids=[s.raw_table for s in SPECS])
def test_source_is_ingested_completely_and_idempotently(tmp_path, small_sample, spec):
    landing, truth = small_sample
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        reports = ingest_table(conn, spec, landing)
        assert reports, f"no files matched {spec.files}"
        for report in reports:
            assert report.status == "loaded", report.message
            assert report.rows_read == report.rows_loaded + report.rows_quarantined
        loaded = conn.execute(f"select count(*) from raw.{spec.raw_table}").fetchone()[0]
        assert loaded == sum(r.rows_loaded for r in reports) > 0
        quarantined = conn.execute(
            "select count(*) from ingest.quarantine where raw_table = ?", [spec.raw_table]
        ).fetchone()[0]
        rows_written, malformed = planted_rows_by_table(truth)[spec.raw_table]
        assert quarantined == malformed
        assert sum(r.rows_read for r in reports) == rows_written

        again = ingest_table(conn, spec, landing)
        assert {r.status for r in again} == {"unchanged"}
        assert conn.execute(f"select count(*) from raw.{spec.raw_table}").fetchone()[0] == loaded
