"""The whole nightly job, materialized through Dagster on generated data."""

from __future__ import annotations

import duckdb
import pytest

from conftest import planted_rows_by_table, run_nightly, settings_for

pytestmark = pytest.mark.slow

MARTS_EXPECTED = {"fct_prospect_moments", "mart_speed_to_lead"}


def published(nightly):
    return duckdb.connect(str(nightly.settings.published_path), read_only=True)


def warehouse(nightly):
    return duckdb.connect(str(nightly.settings.warehouse_path), read_only=True)


def test_the_job_succeeds_with_every_check_passing(nightly):
    result = nightly.result
    assert result.success, result.get_failed_step_keys()
    evaluations = result.get_asset_check_evaluations()
    raw_checks = [e for e in evaluations if e.asset_key.path[0] == "raw"]
    assert len(raw_checks) == 9 and all(e.passed for e in raw_checks)
    dbt_checks = [e for e in evaluations if e.asset_key.path[0] != "raw"]
    assert dbt_checks and all(e.passed for e in dbt_checks)
    assert "published__marts" in {e.step_key for e in result.get_step_success_events()}


def test_the_published_file_holds_the_marts_and_nothing_else(nightly):
    with published(nightly) as bi:
        tables = bi.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        names = {t for _, t in tables}
        assert {s for s, _ in tables} == {"main"}
        assert MARTS_EXPECTED <= names
        assert all(t.startswith(("fct_", "dim_", "mart_")) or t == "publish_info" for t in names), names
        assert bi.execute("select count(*) from fct_prospect_moments").fetchone()[0] > 0


def test_every_file_reconciles_and_the_planted_malformed_rows_are_quarantined(nightly):
    with warehouse(nightly) as wh:
        unbalanced = wh.execute(
            "select source_file from ingest.load_log where rows_read != rows_loaded + rows_quarantined + coalesce(rows_skipped, 0)"
        ).fetchall()
        assert unbalanced == []
        quarantined = dict(wh.execute("select raw_table, count(*) from ingest.quarantine group by 1").fetchall())
    planted = planted_rows_by_table(nightly.truth)
    assert quarantined == {table: malformed for table, (_, malformed) in planted.items() if malformed}


def test_speed_to_lead_recovers_the_planted_within_1h_over_1_2h_ratio(nightly):
    with published(nightly) as bi:
        rows = dict(
            (bucket, (leads, reached))
            for bucket, leads, reached in bi.execute(
                "select response_time_bucket, leads, leads_reached_fmot from mart_speed_to_lead"
            ).fetchall()
        )
    within_1h = [rows["1 <5m"][0] + rows["2 5-60m"][0], rows["1 <5m"][1] + rows["2 5-60m"][1]]
    ratio = (within_1h[1] / within_1h[0]) / (rows["3 1-2h"][1] / rows["3 1-2h"][0])
    planted = nightly.truth["speed_to_lead"]["within_1h_over_1_2h"]
    assert planted["ci95"][0] <= ratio <= planted["ci95"][1], (ratio, planted)


def test_a_failing_raw_check_blocks_dbt_and_publish_and_keeps_the_last_good_marts(tmp_path):
    from orchestration.generator import generate

    landing = tmp_path / "landing"
    generate(landing, scale=0.05, seed=7)
    settings = settings_for(tmp_path, landing)
    assert run_nightly(settings).success
    last_good = settings.published_path.read_bytes()

    # A well-formed row whose value no review platform can produce: ingestion accepts it, GX must not.
    header = (landing / "reviews" / "reviews.csv").read_text().splitlines()[0]
    (landing / "reviews" / "reviews_extra.csv").write_text(
        header + "\nR-999,1,Somebody,somebody@example.com,9,Great,Great,2026-03-01 10:00:00,Google\n"
    )
    result = run_nightly(settings)
    assert not result.success
    failed_checks = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [(e.asset_key.path, e.check_name) for e in failed_checks] == [(["raw", "reviews_reviews"], "gx_raw_suite")]
    assert "moments_dbt_assets" not in {e.step_key for e in result.get_step_success_events()}
    assert settings.published_path.read_bytes() == last_good
