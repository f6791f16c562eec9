"""Odd entries in the landing folder: each gets a load_log line naming it, its cause and the
mapping key whose glob matched it, and none of them stops the other files. A file whose name holds
glob characters is read as that one file, never expanded by DuckDB. Real DuckDB, real files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import ingest_table, load_config
from orchestration.ingestion.staging import sql_path

CONFIG = """\
sources:
  web:
    timezone: UTC
    tables:
      events:
        files: "web/*%s"
        format: %s
        columns:
          event_timestamp_micros: ts
          event_name: name
          user_pseudo_id: "user"
"""


def spec_for(tmp_path: Path, suffix: str = ".ndjson", file_format: str = "ndjson"):
    path = tmp_path / "sources.yml"
    path.write_text(CONFIG % (suffix, file_format))
    return next(s for s in load_config(path) if s.raw_table == "web_events")


def events(first: int, count: int) -> str:
    return "".join(json.dumps({"ts": i, "user": f"u{i}", "name": "page_view"}) + "\n" for i in range(first, first + count))


@pytest.fixture()
def conn():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.mark.parametrize("name", ["events_*.ndjson", "events_?.ndjson", "events_[1].ndjson"])
def test_a_file_name_with_glob_characters_is_read_as_that_file_alone(tmp_path, conn, name):
    web = tmp_path / "landing" / "web"
    web.mkdir(parents=True)
    (web / "events_1.ndjson").write_text(events(0, 3))
    (web / "events_a.ndjson").write_text(events(100, 4))
    (web / name).write_text(events(200, 2))
    reports = {r.source_file: r for r in ingest_table(conn, spec_for(tmp_path), tmp_path / "landing")}
    assert reports[f"web/{name}"].rows_read == 2 and reports[f"web/{name}"].rows_loaded == 2
    assert conn.execute("select count(*) from raw.web_events").fetchone() == (9,)  # nothing read twice
    assert conn.execute("select _source_file, count(*) from raw.web_events group by 1 order by 1").fetchall() == \
        sorted([("web/events_1.ndjson", 3), ("web/events_a.ndjson", 4), (f"web/{name}", 2)])


def test_sql_path_escapes_glob_characters_only_when_there_are_some(tmp_path):
    assert sql_path(Path("/a/b's.csv")) == "/a/b''s.csv"
    assert sql_path(Path("/a/x_*?[1].csv")) == "/a/x_[*][?][[]1].csv"


def test_odd_entries_get_a_load_log_line_and_do_not_block_the_others(tmp_path, conn):
    landing = tmp_path / "landing"
    web = landing / "web"
    web.mkdir(parents=True)
    (web / "events_good.ndjson").write_text(events(0, 5))
    (web / "events_dir.ndjson").mkdir()  # a directory the glob matches
    (web / "events_dangling.ndjson").symlink_to(tmp_path / "nowhere.ndjson")
    (web / "events_loop.ndjson").symlink_to(web / "events_loop.ndjson")
    outside = tmp_path / "outside.ndjson"
    outside.write_text(events(1000, 1))
    (web / "events_out.ndjson").symlink_to(outside)
    os.close(os.open(os.fsencode(web) + b"/events_\xff.ndjson", os.O_CREAT | os.O_WRONLY, 0o644))
    reports = ingest_table(conn, spec_for(tmp_path), landing)
    by_name = {r.source_file: r for r in reports}
    assert by_name["web/events_good.ndjson"].status == "loaded" and by_name["web/events_good.ndjson"].rows_loaded == 5
    logged = dict(conn.execute("select source_file, status || ': ' || message from ingest.load_log").fetchall())
    expected = {
        "web/events_dir.ndjson": "skipped: web/events_dir.ndjson: a directory, not a file",
        "web/events_dangling.ndjson": "rejected: web/events_dangling.ndjson: a symbolic link that leads nowhere",
        "web/events_loop.ndjson": "rejected: web/events_loop.ndjson: a symbolic link that leads nowhere",
        "web/events_out.ndjson": "rejected: web/events_out.ndjson: a symbolic link to ",
        "web/events_\\xff.ndjson": "rejected: web/events_\\xff.ndjson: the file name is not UTF-8",
    }
    for name, start in expected.items():
        assert logged[name].startswith(start), (name, logged.get(name))
        assert "sources.web.tables.events" in logged[name]  # the mapping key whose glob matched it
    assert conn.execute("select count(*) from raw.web_events").fetchone() == (5,)
