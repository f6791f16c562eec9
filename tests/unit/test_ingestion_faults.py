"""Every way a file can fail ends as a `rejected` load_log line naming the file and the cause, and
no exception (which would name neither, and which Dagster would retry as transient): an absurd
column count or field length is refused fast, and a full disk says so. Real DuckDB, real files;
the full disk is /dev/full, written for real."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import ingest_table, load_config
from orchestration.ingestion import loader
from orchestration.ingestion.csv_staging import MAX_COLUMNS
from orchestration.ingestion.staging import MAX_LINE_BYTES, Stager

CONFIG = """\
sources:
  crm:
    timezone: UTC
    tables:
      time_logs:
        files: "crm/time_logs*.csv"
        format: csv
        columns:
          owner_id: Owner
          logged_on: Day
          hours: Hours
"""


@pytest.fixture()
def spec(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text(CONFIG)
    return next(s for s in load_config(path) if s.raw_table == "crm_time_logs")


@pytest.fixture()
def landing(tmp_path):
    folder = tmp_path / "landing"
    (folder / "crm").mkdir(parents=True)
    (folder / "crm" / "time_logs.csv").write_text("Owner,Day,Hours\no1,2026-01-02,7\n")
    return folder


def rejected(conn) -> dict[str, str]:
    return dict(conn.execute("select source_file, message from ingest.load_log where status = 'rejected'").fetchall())


def test_an_absurd_column_count_is_rejected_fast(spec, landing):
    width = 20_000
    header = "Owner,Day,Hours," + ",".join(f"c{i}" for i in range(width))
    (landing / "crm" / "time_logs_wide.csv").write_text(header + "\n" + "o2,2026-01-03,1" + ",x" * width + "\n")
    conn = duckdb.connect()
    started = time.perf_counter()
    reports = {r.source_file: r for r in ingest_table(conn, spec, landing)}
    assert time.perf_counter() - started < 30  # was 230 s
    wide = reports["crm/time_logs_wide.csv"]
    assert wide.status == "rejected"
    assert f"the header has {width + 3} columns, more than the {MAX_COLUMNS}" in wide.message
    assert reports["crm/time_logs.csv"].status == "loaded"
    assert "crm/time_logs_wide.csv" in rejected(conn)


def test_a_field_over_the_line_limit_rejects_the_file_naming_the_line(spec, landing):
    with open(landing / "crm" / "time_logs_huge.csv", "w") as handle:
        handle.write("Owner,Day,Hours\no2,2026-01-03,1\no3,2026-01-03,\"")
        handle.write("x" * (MAX_LINE_BYTES + 10))
        handle.write("\"\n")
    conn = duckdb.connect()
    reports = {r.source_file: r for r in ingest_table(conn, spec, landing)}
    huge = reports["crm/time_logs_huge.csv"]
    assert huge.status == "rejected", huge
    assert "the record starting on line 3 has a field longer than" in huge.message
    assert conn.execute("select owner_id from raw.crm_time_logs").fetchall() == [("o1",)]


def test_a_full_disk_rejects_the_file_saying_so(spec, landing, monkeypatch):
    """The stager's scratch write hits a full disk (/dev/full): no traceback, no retry, a load_log
    line that says the disk is full; the rows loaded before stay."""
    conn = duckdb.connect()
    ingest_table(conn, spec, landing)
    (landing / "crm" / "time_logs.csv").write_text("Owner,Day,Hours\no1,2026-01-02,8\n")
    csv_stager = loader.STAGERS["csv"]

    class StagerOnAFullDisk(Stager):
        def stage(self, *args, **kwargs):
            with open("/dev/full", "w") as full:
                full.write("x" * 10_000)
                full.flush()
            return csv_stager.stage(*args, **kwargs)

    monkeypatch.setitem(loader.STAGERS, "csv", StagerOnAFullDisk())
    [report] = ingest_table(conn, spec, landing)
    assert report.status == "rejected"
    assert report.message.startswith("crm/time_logs.csv: could not be loaded: no space left on device (disk full")
    assert "the rows loaded before from this file are kept" in report.message
    assert conn.execute("select hours from raw.crm_time_logs").fetchall() == [(7.0,)]
    assert "no space left on device" in rejected(conn)["crm/time_logs.csv"]


@pytest.mark.parametrize("make,cause", [
    (lambda: OSError(28, "No space left on device"), "no space left on device (disk full"),
    (lambda: EOFError("Compressed file ended before the end-of-stream marker was reached"), "truncated file"),
    (lambda: duckdb.IOException("IO Error: No space left on device"), "no space left on device"),
])
def test_fault_causes_are_said_plainly(make, cause):
    assert cause in loader.fault_cause(make())
