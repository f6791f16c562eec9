"""Incremental staging (web events, engagements) gives the same facts as a full refresh after
late-arriving rows: a sample is built, late rows land in the raw tables with a newer load time
(an event dated days ago, a re-exported engagement with a new outcome, a brand-new engagement),
`dbt build` runs incrementally, and its fact tables are compared by content checksum with those
of `dbt build --full-refresh` on the same warehouse."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from test_dbt_models import run_dbt

pytestmark = pytest.mark.slow

FACTS = ("fct_prospect_moments", "fct_prospect_journey", "dim_prospects")
# the facts and everything upstream of them (with their tests); the BI marts are not needed here
SELECT = ["--select", "+fct_prospect_moments", "+fct_prospect_journey", "+dim_channels", "+dim_reps", "--indirect-selection", "cautious"]


def checksum(conn, table: str) -> tuple[int, str]:
    rows = conn.execute(f"select * from marts.{table}").fetchall()
    digest = hashlib.sha256()
    for row in sorted(repr(row) for row in rows):
        digest.update(row.encode())
    return len(rows), digest.hexdigest()


def checksums(warehouse: Path) -> dict[str, tuple[int, str]]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {table: checksum(conn, table) for table in FACTS}


def land_late_rows(warehouse: Path) -> dict[str, int]:
    """Late data as a later load brings it: new rows with a later _loaded_at, some dated in the past."""
    import duckdb

    with duckdb.connect(str(warehouse)) as conn:
        later = "(select max(_loaded_at) + interval 1 day from raw.{table})"
        # a campaign session a stitched visitor had two hours before their first event, exported late
        web = conn.execute(f"""
            insert into raw.web_events
            select * replace (
                event_timestamp_micros - 7200000000 as event_timestamp_micros,
                'google' as traffic_source, 'cpc' as traffic_medium, 'late_campaign' as traffic_campaign,
                {later.format(table='web_events')} as _loaded_at,
                'late_events.ndjson' as _source_file
            )
            from raw.web_events
            where user_pseudo_id in (
                select user_pseudo_id from raw.web_events where user_id is not null
                group by user_pseudo_id order by user_pseudo_id limit 40
            )
            qualify row_number() over (partition by user_pseudo_id order by event_timestamp_micros) = 1
        """).fetchone()[0]
        # unanswered calls re-exported as connected 10-minute calls: fmot moves
        updated = conn.execute(f"""
            insert into raw.crm_engagements
            select * replace (
                'CONNECTED' as outcome, 600000 as duration_ms,
                {later.format(table='crm_engagements')} as _loaded_at,
                'late_engagements.csv' as _source_file
            )
            from raw.crm_engagements
            where engagement_type = 'CALL' and outcome = 'NO_ANSWER'
            order by engagement_id limit 40
        """).fetchone()[0]
        # an engagement first exported today, dated a week after its contact was created
        new = conn.execute(f"""
            insert into raw.crm_engagements
            select * replace (
                'late-' || engagement_id as engagement_id,
                'MEETING' as engagement_type, 'OUTBOUND' as direction, 'COMPLETED' as outcome,
                false as is_templated,
                {later.format(table='crm_engagements')} as _loaded_at,
                'late_engagements.csv' as _source_file
            )
            from raw.crm_engagements
            where engagement_type = 'EMAIL'
            order by engagement_id desc limit 40
        """).fetchone()[0]
    return {"web": web, "updated": updated, "new": new}


def test_an_incremental_run_after_late_rows_equals_a_full_refresh(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    from orchestration import generator, ingestion

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    generator.generate(landing, scale=0.05, seed=11)
    with duckdb.connect(str(warehouse)) as conn:
        for spec in ingestion.load_config():
            list(ingestion.ingest_table(conn, spec, landing))

    first = run_dbt(["build", *SELECT], warehouse, tmp_path / "target")
    assert first.returncode == 0, first.stdout[-6000:]
    before = checksums(warehouse)

    landed = land_late_rows(warehouse)
    assert all(landed.values()), landed

    incremental = run_dbt(["build", *SELECT], warehouse, tmp_path / "target")
    assert incremental.returncode == 0, incremental.stdout[-6000:]
    assert "incremental" in incremental.stdout
    after_incremental = checksums(warehouse)
    # the late rows must change the facts, or the comparison below proves nothing
    assert after_incremental["fct_prospect_moments"] != before["fct_prospect_moments"]

    # A stray --full-refresh keeps the incremental history: a row only staging holds survives it.
    plant_staging_only_row(warehouse)
    stray = run_dbt(["run", "--full-refresh", "--select", "stg_web__events"], warehouse, tmp_path / "target")
    assert stray.returncode == 0, stray.stdout[-6000:]
    assert staging_only_rows(warehouse) == 1
    full = run_dbt(["build", "--full-refresh", "--vars", '{"allow_full_refresh": true}', *SELECT],
                   warehouse, tmp_path / "target")
    assert full.returncode == 0, full.stdout[-6000:]
    assert staging_only_rows(warehouse) == 0  # allowed, the full refresh rebuilt staging from raw
    assert checksums(warehouse) == after_incremental


def plant_staging_only_row(warehouse: Path) -> None:
    import duckdb

    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("""insert into staging.stg_web__events by name
                        select * replace ('planted' as event_id) from staging.stg_web__events limit 1""")


def staging_only_rows(warehouse: Path) -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute("select count(*) from staging.stg_web__events where event_id = 'planted'").fetchone()[0]
