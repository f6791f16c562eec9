"""Whole files or nothing: a gzip file cut short or corrupt (CSV and JSON lines), a file modified
within the settle time, or one that changes while it is read, is rejected with a load_log line
naming the file and the cause; the rows loaded before from it stay; nothing is raised (a raise is
what Dagster retries as transient). Real DuckDB, real files."""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.ingestion import ingest_table, load_config
from orchestration.ingestion import loader
from orchestration.ingestion.staging import Stager, gzip_problem, open_bytes

CONFIG = """\
sources:
  web:
    timezone: UTC
    tables:
      events:
        files: "web/*.%s"
        format: %s
        columns:
          event_timestamp_micros: ts
          event_name: name
          user_pseudo_id: "user"
"""


def spec_for(tmp_path: Path, file_format: str):
    path = tmp_path / "sources.yml"
    path.write_text(CONFIG % ("gz" if file_format == "csv" else "ndjson", file_format))
    return next(s for s in load_config(path) if s.raw_table == "web_events")


def content(file_format: str, rows: int) -> bytes:
    if file_format == "csv":
        return ("ts,user,name\n" + "".join(f"{i},u{i},page_view\n" for i in range(rows))).encode()
    return "".join(json.dumps({"ts": i, "user": f"u{i}", "name": "page_view"}) + "\n" for i in range(rows)).encode()


def shard(tmp_path: Path, file_format: str) -> Path:
    return tmp_path / "landing" / "web" / ("events_20260105.gz" if file_format == "csv" else "events_20260105.ndjson")


def old(path: Path) -> None:
    os.utime(path, (time.time() - 3600, time.time() - 3600))


@pytest.fixture()
def conn(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def log_lines(conn, status: str) -> list[str]:
    return [m for (m,) in conn.execute("select message from ingest.load_log where status = ?", [status]).fetchall()]


@pytest.mark.parametrize("file_format", ["csv", "ndjson"])
@pytest.mark.parametrize("fault,cause", [
    (lambda data: data[: len(data) * 2 // 3], "truncated"),  # cut short in transfer
    (lambda data: data[:-8] + bytes(8), "corrupt gzip"),  # CRC and length overwritten
    (lambda data: data[:20] + b"\x00garbage\xff" * 50 + data[20:], "corrupt gzip"),
])
def test_a_broken_gzip_is_rejected_and_the_last_good_rows_stay(tmp_path, conn, file_format, fault, cause):
    spec = spec_for(tmp_path, file_format)
    target = shard(tmp_path, file_format)
    target.parent.mkdir(parents=True)
    target.write_bytes(gzip.compress(content(file_format, 3000)))
    [good] = ingest_table(conn, spec, tmp_path / "landing")
    assert good.status == "loaded" and good.rows_loaded == 3000
    target.write_bytes(fault(gzip.compress(content(file_format, 3001))))
    [report] = ingest_table(conn, spec, tmp_path / "landing")  # no exception: nothing to retry
    assert report.status == "rejected", report
    assert cause in report.message and target.name in report.message, report.message
    assert "rows loaded before from this file are kept" in report.message
    assert conn.execute("select count(*) from raw.web_events").fetchone() == (3000,)
    assert any(cause in m for m in log_lines(conn, "rejected"))


def test_a_gzip_file_is_checked_to_its_end(tmp_path):
    whole = tmp_path / "whole.gz"
    whole.write_bytes(gzip.compress(b"x" * 100_000))
    assert gzip_problem(whole) is None
    cut = tmp_path / "cut.gz"
    cut.write_bytes(whole.read_bytes()[:-100])
    assert "truncated" in gzip_problem(cut)
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"a,b\n")
    assert gzip_problem(plain) is None


def test_a_file_modified_within_the_settle_time_waits_for_a_later_run(tmp_path, conn):
    spec = spec_for(tmp_path, "ndjson")
    target = shard(tmp_path, "ndjson")
    target.parent.mkdir(parents=True)
    target.write_bytes(content("ndjson", 10))
    [report] = ingest_table(conn, spec, tmp_path / "landing", settle_seconds=600)
    assert report.status == "rejected" and "settle time of 600 s" in report.message, report
    assert conn.execute("select count(*) from raw.web_events").fetchone() == (0,)
    old(target)
    [report] = ingest_table(conn, spec, tmp_path / "landing", settle_seconds=600)
    assert report.status == "loaded" and report.rows_loaded == 10


@pytest.mark.parametrize("file_format", ["csv", "ndjson"])
def test_a_file_that_changes_while_it_is_read_is_rejected(tmp_path, conn, monkeypatch, file_format):
    """A writer appends to the file while it is staged: the load is rolled back and the file rejected,
    and a file staged in the same batch is loaded all the same."""
    spec = spec_for(tmp_path, file_format)
    target = shard(tmp_path, file_format)
    target.parent.mkdir(parents=True)
    writes = (lambda rows: gzip.compress(content(file_format, rows))) if file_format == "csv" else \
        (lambda rows: content(file_format, rows))
    target.write_bytes(writes(5))
    other = target.with_name(target.name.replace("20260105", "20260106"))
    other.write_bytes(writes(7))
    stager = loader.STAGERS[file_format]

    class StagerWhileAWriterAppends(Stager):
        def stage(self, conn_, spec_, files, scratch, **kw):
            batch = stager.stage(conn_, spec_, files, scratch, **kw)
            with open(target, "ab") as handle:  # the writer, still busy
                handle.write(writes(1))
            return batch

    monkeypatch.setitem(loader.STAGERS, file_format, StagerWhileAWriterAppends())
    reports = {r.source_file: r for r in ingest_table(conn, spec, tmp_path / "landing")}
    changed = reports[target.relative_to(tmp_path / "landing").as_posix()]
    assert changed.status == "rejected" and "changed (size or modification time) while it was read" in changed.message
    assert reports[other.relative_to(tmp_path / "landing").as_posix()].status == "loaded"
    assert conn.execute("select count(*) from raw.web_events").fetchone() == (7,)
    assert len(log_lines(conn, "rejected")) == 1


def test_a_growing_file_is_read_only_to_the_size_it_had_when_opened(tmp_path):
    """An unbounded writer cannot make a reader chase the end of the file."""
    path = tmp_path / "growing.csv"
    path.write_bytes(b"a" * 5000)
    with open_bytes(path) as handle:
        first = handle.read(100)
        with open(path, "ab") as writer:
            writer.write(b"b" * 10_000)
        rest = handle.read()
    assert len(first + rest) == 5000 and b"b" not in rest


def test_mot_ingest_exits_non_zero_when_a_file_is_rejected(tmp_path):
    landing = tmp_path / "landing"
    (landing / "web").mkdir(parents=True)
    spec_path = tmp_path / "sources.yml"
    spec_path.write_text(CONFIG % ("ndjson", "ndjson"))
    (landing / "web" / "events_20260105.ndjson").write_bytes(gzip.compress(content("ndjson", 50))[:-30])
    env = {"MOT_WAREHOUSE_PATH": str(tmp_path / "w.duckdb"), "MOT_SOURCES_CONFIG": str(spec_path),
           "MOT_LANDING_DIR": str(landing)}
    result = CliRunner().invoke(main, ["ingest"], env=env)
    assert result.exit_code == 1, result.output
    assert "events_20260105.ndjson" in result.output and "truncated" in result.output


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n\r\n  \n", b"\xef\xbb\xbf\n\n", b"\xff\xfe\n\x00"])
def test_a_file_of_no_content_is_empty_like_a_0_byte_file(tmp_path, conn, data):
    spec = spec_for(tmp_path, "ndjson")
    target = shard(tmp_path, "ndjson")
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    [report] = ingest_table(conn, spec, tmp_path / "landing")
    assert report.status == "empty", report
    assert "nothing to load" in report.message


def test_a_file_in_another_encoding_gets_a_file_level_message(tmp_path, conn):
    config = tmp_path / "owners.yml"
    config.write_text("""\
sources:
  crm:
    timezone: UTC
    tables:
      owners:
        files: "crm/owners*.csv"
        format: csv
        columns:
          owner_id: ID
          last_name: Name
""")
    spec = next(s for s in load_config(config) if s.raw_table == "crm_owners")
    target = tmp_path / "landing" / "crm" / "owners.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes("ID,Name\n1,Müller\n2,Jäger\n3,Lee\n".encode("latin-1"))
    [report] = ingest_table(conn, spec, tmp_path / "landing")
    assert report.rows_quarantined == 2
    assert "2 of 3 row(s) are not valid utf-8" in report.message.lower(), report.message
    assert "set csv.encoding of sources.crm.tables.owners" in report.message
