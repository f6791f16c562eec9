"""Strict values: a value the export did not mean as a number or a time is quarantined, never
coerced. Integers are decimal digits only; doubles are finite; offsets lie within +-14:00; an hour
of 24 is refused; a local time the source's time zone skips (DST gap) is quarantined, and one it
has twice (DST overlap) is loaded as the second occurrence and counted in the load_log message.
Real DuckDB, real files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import ingest_table, load_config

CONFIG = """\
sources:
  survey:
    timezone: %s
    tables:
      responses:
        files: "survey/*.csv"
        format: csv
        columns:
          response_id: id
          survey_type: kind
          nps_score: nps
          submitted_at: at
  crm:
    timezone: UTC
    tables:
      time_logs:
        files: "crm/time_*.csv"
        format: csv
        columns:
          owner_id: owner
          logged_on: day
          hours: hours
"""


def load(tmp_path: Path, table: str, text: str, zone: str = "UTC"):
    config = tmp_path / "sources.yml"
    config.write_text(CONFIG % zone)
    spec = next(s for s in load_config(config) if s.raw_table == table)
    folder = "survey/responses.csv" if table == "survey_responses" else "crm/time_logs.csv"
    target = tmp_path / "landing" / folder
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    conn = duckdb.connect()
    [report] = ingest_table(conn, spec, tmp_path / "landing")
    reasons = dict(conn.execute("select row_number, reason from ingest.quarantine order by 1").fetchall())
    return conn, report, reasons


@pytest.mark.parametrize("value", ["9.5", "0x0A", "1e1", "1_0", "10.0", "ten", "+-1"])
def test_an_nps_score_is_decimal_digits_only(tmp_path, value):
    conn, report, reasons = load(tmp_path, "survey_responses",
                                 f"id,kind,nps,at\nr1,nps,{value},2026-01-05 10:00:00\nr2,nps,10,2026-01-05 10:00:00\n")
    assert reasons == {1: f"nps_score: '{value}' is not a valid integer"}
    assert conn.execute("select response_id, nps_score from raw.survey_responses").fetchall() == [("r2", 10)]


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e309", "-1e309", "0x1A"])
def test_a_double_is_finite(tmp_path, value):
    conn, report, reasons = load(tmp_path, "crm_time_logs", f"owner,day,hours\no1,2026-01-05,{value}\no2,2026-01-05,1.5e0\n")
    assert reasons == {1: f"hours: '{value}' is not a valid double"}
    assert conn.execute("select owner_id, hours from raw.crm_time_logs").fetchall() == [("o2", 1.5)]


@pytest.mark.parametrize("value", ["2026-01-05T10:00:00+25:00", "2026-01-05T10:00:00-14:30", "2026-01-05T10:00:00+05:75",
                                   "2026-01-05 24:00:00", "2026-01-05T24:00:00Z"])
def test_offsets_and_hours_out_of_range_are_refused(tmp_path, value):
    conn, report, reasons = load(tmp_path, "survey_responses", f"id,kind,nps,at\nr1,nps,9,{value}\nr2,nps,9,2026-01-05T23:59:59+14:00\n")
    assert reasons == {1: f"submitted_at: '{value}' is not a valid timestamp"}
    assert conn.execute("select submitted_at from raw.survey_responses").fetchall() == [
        (duckdb.execute("select timestamp '2026-01-05 09:59:59'").fetchone()[0],)]


def test_a_local_time_in_the_dst_gap_is_quarantined(tmp_path):
    # Europe/Berlin: 2026-03-29 02:00 -> 03:00, so 02:30 never happened there
    conn, report, reasons = load(tmp_path, "survey_responses",
                                 "id,kind,nps,at\nr1,nps,9,2026-03-29 02:30:00\nr2,nps,9,2026-03-29 03:30:00\n",
                                 zone="Europe/Berlin")
    assert reasons == {1: "submitted_at: '2026-03-29 02:30:00' does not exist in Europe/Berlin "
                          "(the hour skipped when daylight saving time begins)"}
    assert report.rows_loaded == 1


def test_a_local_time_in_the_dst_overlap_is_loaded_and_noted(tmp_path):
    # Europe/Berlin: 2026-10-25 03:00 -> 02:00, so 02:30 happened twice
    conn, report, reasons = load(tmp_path, "survey_responses",
                                 "id,kind,nps,at\nr1,nps,9,2026-10-25 02:30:00\nr2,nps,9,2026-10-25 04:30:00\n",
                                 zone="Europe/Berlin")
    assert reasons == {} and report.rows_loaded == 2
    assert "1 loaded row(s) have a local time that Europe/Berlin has twice" in report.message, report.message
    logged = conn.execute("select message from ingest.load_log").fetchone()[0]
    assert "second occurrence (standard time)" in logged


def test_utc_sources_have_no_dst_checks(tmp_path):
    conn, report, reasons = load(tmp_path, "survey_responses", "id,kind,nps,at\nr1,nps,9,2026-03-29 02:30:00\n")
    assert reasons == {} and report.rows_loaded == 1 and "twice" not in report.message


def test_a_new_york_local_time_that_happens_twice_is_noted_and_one_offset_cannot_hide_in_it(tmp_path):
    """2026-11-01 01:30 happens twice in America/New_York (EDT, then EST). A bare local time is
    loaded as the second (standard time) and noted; the same moment with its own -05:00 is the same
    raw value; with -04:00 (or as UTC) it is the first, which raw's local time cannot hold:
    quarantined, not shifted by an hour."""
    conn, report, reasons = load(tmp_path, "survey_responses",
                                 "id,kind,nps,at\n"
                                 "r1,nps,9,2026-11-01 01:30:00\n"
                                 "r2,nps,9,2026-11-01T01:30:00-05:00\n"
                                 "r3,nps,9,2026-11-01T01:30:00-04:00\n"
                                 "r4,nps,9,2026-11-01T05:30:00Z\n"
                                 "r5,nps,9,2026-11-01T06:30:00Z\n"
                                 "r6,nps,9,2026-11-01 03:30:00\n",
                                 zone="America/New_York")
    first = ("is the first of two moments with the same local time in America/New_York (the hour repeated "
             "when daylight saving time ends); raw keeps local times, which would read it as the second, an hour later")
    assert reasons == {3: f"submitted_at: '2026-11-01T01:30:00-04:00' {first}",
                       4: f"submitted_at: '2026-11-01T05:30:00Z' {first}"}
    assert report.rows_loaded == 4
    assert "1 loaded row(s) have a local time that America/New_York has twice" in report.message, report.message
    # what staging makes of raw (macros/to_utc.sql, DuckDB): the instant each export meant
    stored = dict(conn.execute(
        "select response_id, timezone('UTC', timezone(_source_timezone, submitted_at)) from raw.survey_responses"
    ).fetchall())
    utc = lambda text: duckdb.execute(f"select timestamp '{text}'").fetchone()[0]  # noqa: E731
    assert stored == {"r1": utc("2026-11-01 06:30:00"), "r2": utc("2026-11-01 06:30:00"),
                      "r5": utc("2026-11-01 06:30:00"), "r6": utc("2026-11-01 08:30:00")}
