"""Each shipped preset ingests a small export written from the vendor's documented column names
(tests/fixtures/exports), and a user's config file that picks presets is all it takes to load a
folder of HubSpot + GA4 exports through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import ingest_table, load_config
from orchestration.ingestion.config import PRESETS_DIR

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
EXAMPLES = ROOT / "orchestration" / "ingestion" / "examples"

# preset -> {raw table: rows expected}; every fixture row is clean, so nothing is quarantined.
EXPECTED = {
    "hubspot": {"crm_contacts": 3, "crm_engagements": 4, "crm_deals": 2, "crm_deal_stages": 3, "crm_owners": 2},
    "salesforce": {"crm_contacts": 2, "crm_engagements": 2, "crm_deals": 2, "crm_deal_stages": 2, "crm_owners": 1},
    "ga4_bigquery": {"web_events": 3},
    "typeform": {"survey_responses": 2},
    "qualtrics": {"survey_responses": 2},
    "reviews_csv": {"reviews_reviews": 2},
}


def ingest_with(config: Path, landing: Path, database: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(database))
    for spec in load_config(config):
        for report in ingest_table(conn, spec, landing):
            assert report.status == "loaded", report.message
            assert report.rows_read == report.rows_loaded + report.rows_quarantined
    return conn


def count(conn, table: str) -> int:
    return conn.execute(f"select count(*) from raw.{table}").fetchone()[0]


def test_every_preset_has_a_fixture_test():
    assert {p.stem for p in PRESETS_DIR.glob("*.yml")} == set(EXPECTED) | {"ga4_bigquery_parquet"}


@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_preset_ingests_its_vendor_fixture(tmp_path, preset):
    config = tmp_path / "sources.yml"
    config.write_text(f"use: [{preset}]\n")
    conn = ingest_with(config, EXPORTS, tmp_path / "warehouse.duckdb")
    for table, rows in EXPECTED[preset].items():
        assert count(conn, table) == rows, table
    assert conn.execute("select count(*) from ingest.quarantine").fetchone()[0] == 0
    # every canonical table exists, filled or not, so dbt always finds its sources
    assert count(conn, "crm_time_logs") == 0


def test_hubspot_values_land_in_canonical_columns(tmp_path):
    conn = ingest_with(EXAMPLES / "hubspot_ga4_sources.yml", EXPORTS, tmp_path / "w.duckdb")
    engagements = conn.execute(
        "select engagement_id, contact_id, engagement_type, direction, outcome, duration_ms, subject "
        "from raw.crm_engagements order by engagement_id"
    ).fetchall()
    assert engagements == [
        ("9001", "51", "CALL", "OUTBOUND", "CONNECTED", 1260000, "Discovery call"),
        ("9002", "1234567890123456789", "CALL", "OUTBOUND", "NO ANSWER", 0, "Follow-up"),
        ("9101", "53", "MEETING", None, "COMPLETED", None, "Demo"),
        ("9201", "51", "EMAIL", "OUTBOUND", None, None, "Thanks for reaching out"),
    ]
    assert conn.execute("select deal_stage from raw.crm_deal_stages order by _row_number").fetchall() == [
        ("appointmentscheduled",), ("closedwon",), ("appointmentscheduled",)]
    assert conn.execute("select owner_id, team from raw.crm_owners order by 1").fetchall() == [
        ("Jane Rep", "Inbound East"), ("Sam Rep", "Enterprise")]
    contacts = conn.execute(
        "select contact_id, created_at_precision, json_extract_string(_extra, '$.\"Company Name\"'), _source_timezone "
        "from raw.crm_contacts order by _row_number"
    ).fetchall()
    assert contacts == [("51", "second", "Analytical Engines", "Europe/London"),
                        ("1234567890123456789", "second", "Navy", "Europe/London"),
                        ("53", "day", "Bletchley", "Europe/London")]


def test_salesforce_dates_are_marked_day_and_offsets_converted(tmp_path):
    config = tmp_path / "sources.yml"
    config.write_text("use: [salesforce]\nsources: {crm: {timezone: America/New_York}}\n")
    conn = ingest_with(config, EXPORTS, tmp_path / "w.duckdb")
    rows = conn.execute(
        "select engagement_type, duration_ms, strftime(occurred_at, '%Y-%m-%d %H:%M'), occurred_at_precision "
        "from raw.crm_engagements order by engagement_id"
    ).fetchall()
    assert rows == [("CALL", 1260000, "2026-01-05 09:40", "second"), ("EMAIL", None, "2026-01-06 00:00", "day")]
    deals = conn.execute("select deal_id, deal_stage, strftime(closed_at, '%Y-%m-%d'), closed_at_precision "
                         "from raw.crm_deals order by deal_id").fetchall()
    assert deals == [("0065g00000Op1AAAAZ", "closedwon", "2026-02-01", "day"),
                     ("0065g00000Op2AAAAZ", "appointmentscheduled", None, None)]


def test_ga4_parquet_export_loads_the_same_rows_as_the_json_export(tmp_path):
    landing = tmp_path / "landing"
    (landing / "ga4").mkdir(parents=True)
    duckdb.execute(
        f"""copy (select * from read_json('{EXPORTS}/ga4/events_20260105.json', columns = {{
                event_date: 'VARCHAR', event_timestamp: 'BIGINT', event_name: 'VARCHAR',
                event_params: 'STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value BIGINT,
                               float_value DOUBLE, double_value DOUBLE))[]',
                user_pseudo_id: 'VARCHAR', user_id: 'VARCHAR',
                device: 'STRUCT(category VARCHAR, operating_system VARCHAR)', geo: 'STRUCT(country VARCHAR)',
                traffic_source: 'STRUCT(name VARCHAR, medium VARCHAR, source VARCHAR)',
                collected_traffic_source: 'STRUCT(manual_source VARCHAR, manual_medium VARCHAR,
                                                  manual_campaign_name VARCHAR)'}}))
            to '{landing}/ga4/events_20260105.parquet' (format parquet)"""
    )
    columns = ("event_timestamp_micros, event_name, user_pseudo_id, user_id, ga_session_id, page_location, form_id, "
               "requested_contact_method, traffic_source, traffic_medium, traffic_campaign, device_category")
    results = []
    for preset, folder in (("ga4_bigquery_parquet", landing), ("ga4_bigquery", EXPORTS)):
        config = tmp_path / f"{preset}.yml"
        config.write_text(f"use: [{preset}]\n")
        conn = ingest_with(config, folder, tmp_path / f"{preset}.duckdb")
        results.append(conn.execute(f"select {columns} from raw.web_events order by _row_number").fetchall())
    assert results[0] == results[1]
    assert results[0][1] == (1767603300654321, "generate_lead", "1234567890.1767603240", "51", 1767603240, None,
                             "demo-request", "phone", "google", "organic", "(organic)", "desktop")


def test_example_mapping_for_a_tool_without_a_preset(tmp_path):
    conn = ingest_with(EXAMPLES / "pipedrive_sources.yml", EXPORTS, tmp_path / "w.duckdb")
    assert conn.execute("select contact_id, first_name, last_name from raw.crm_contacts order by 1").fetchall() == [
        ("301", "Ada", "Lovelace"), ("302", "Grace", "Brewster Hopper")]
    assert conn.execute(
        "select engagement_type, outcome, strftime(occurred_at, '%Y-%m-%d %H:%M'), occurred_at_precision "
        "from raw.crm_engagements order by engagement_id"
    ).fetchall() == [("CALL", "COMPLETED", "2026-01-05 09:40", "second"), ("MEETING", None, "2026-01-08 00:00", "day")]
    assert conn.execute("select deal_stage, amount from raw.crm_deals").fetchall() == [("closedwon", 12000.5)]


def test_a_config_file_and_nothing_else_points_the_cli_at_hubspot_and_ga4_exports(tmp_path):
    """Done when: a new user chooses presets in a YAML file; `mot` loads their folder with it."""
    config = tmp_path / "my_sources.yml"
    config.write_text("use: [hubspot, ga4_bigquery]\nsources:\n  crm:\n    timezone: Europe/London\n")
    warehouse = tmp_path / "warehouse.duckdb"
    env = {**os.environ, "MOT_SOURCES_CONFIG": str(config), "MOT_LANDING_DIR": str(EXPORTS),
           "MOT_WAREHOUSE_PATH": str(warehouse)}
    result = subprocess.run([str(Path(sys.executable).parent / "mot"), "ingest"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "rejected" not in result.stdout
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        counts = {t: count(conn, t) for t in ("crm_contacts", "crm_engagements", "crm_deals", "crm_deal_stages",
                                              "web_events", "crm_owners", "survey_responses", "reviews_reviews")}
        assert counts == {"crm_contacts": 3, "crm_engagements": 4, "crm_deals": 2, "crm_deal_stages": 3,
                          "web_events": 3, "crm_owners": 2, "survey_responses": 0, "reviews_reviews": 0}
        assert conn.execute("select distinct _source_timezone from raw.crm_contacts").fetchall() == [("Europe/London",)]
