"""A file not written since its load is not read again: a night that brings one new shard reads
that shard, not half a year of them. Anything that wrote the file (new bytes of the same size with
the modification time set back, the same bytes re-delivered) is still seen. Real DuckDB, real files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import ingest_table, load_config
from orchestration.ingestion import loader

CONFIG = """\
sources:
  web:
    timezone: UTC
    tables:
      events:
        files: web/events_*.ndjson
        format: ndjson
        columns:
          event_timestamp_micros: ts
          event_name: name
          user_pseudo_id: "user"
"""


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text(CONFIG)
    return next(s for s in load_config(path) if s.raw_table == "web_events")


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        yield connection


@pytest.fixture
def reads(monkeypatch):
    """The files the loader reads to hash, in order."""
    seen: list[str] = []
    real = loader.file_facts

    def counted(path):
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(loader, "file_facts", counted)
    return seen


def shard(landing: Path, day: int, users: list[str]) -> Path:
    path = landing / "web" / f"events_202601{day:02d}.ndjson"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"ts": day * 1000 + i, "user": u, "name": "page_view"}) + "\n"
                            for i, u in enumerate(users)))
    return path


def statuses(reports) -> dict[str, str]:
    return {Path(r.source_file).name: r.status for r in reports}


def test_a_second_night_reads_only_the_new_shard(tmp_path, spec, conn, reads):
    landing = tmp_path / "landing"
    for day in (1, 2, 3):
        shard(landing, day, ["u1", "u2"])
    ingest_table(conn, spec, landing)
    assert sorted(reads) == ["events_20260101.ndjson", "events_20260102.ndjson", "events_20260103.ndjson"]

    reads.clear()
    shard(landing, 4, ["u3"])
    reports = ingest_table(conn, spec, landing)

    assert reads == ["events_20260104.ndjson"]
    assert statuses(reports) == {"events_20260101.ndjson": "unchanged", "events_20260102.ndjson": "unchanged",
                                 "events_20260103.ndjson": "unchanged", "events_20260104.ndjson": "loaded"}
    assert conn.execute("select count(*) from raw.web_events").fetchone() == (7,)


def test_new_bytes_of_the_same_size_with_the_old_modification_time_are_loaded(tmp_path, spec, conn, reads):
    """What `cp -p` or `rsync -t` of a corrected export does: size and mtime as before, other bytes."""
    landing = tmp_path / "landing"
    path = shard(landing, 1, ["u1", "u2"])
    before = path.stat()
    ingest_table(conn, spec, landing)

    shard(landing, 1, ["u8", "u9"])  # same length, other visitors
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    reads.clear()
    reports = ingest_table(conn, spec, landing)

    assert reads == ["events_20260101.ndjson"]
    assert statuses(reports) == {"events_20260101.ndjson": "replaced"}
    assert sorted(conn.execute("select user_pseudo_id from raw.web_events").fetchall()) == [("u8",), ("u9",)]


def test_the_same_bytes_written_again_are_read_once_then_known(tmp_path, spec, conn, reads):
    """A sync that rewrites every file each night: the rewritten file is hashed, found unchanged, and
    its new identity recorded, so the next night does not hash it again."""
    landing = tmp_path / "landing"
    path = shard(landing, 1, ["u1", "u2"])
    ingest_table(conn, spec, landing)
    loaded = conn.execute("select count(*), max(_loaded_at) from raw.web_events").fetchone()

    path.write_bytes(path.read_bytes())  # same bytes, a new write
    reads.clear()
    assert statuses(ingest_table(conn, spec, landing)) == {"events_20260101.ndjson": "unchanged"}
    assert reads == ["events_20260101.ndjson"]

    reads.clear()
    assert statuses(ingest_table(conn, spec, landing)) == {"events_20260101.ndjson": "unchanged"}
    assert reads == []
    assert conn.execute("select count(*), max(_loaded_at) from raw.web_events").fetchone() == loaded


def test_a_changed_mapping_reads_the_files_again(tmp_path, spec, conn, reads):
    landing = tmp_path / "landing"
    shard(landing, 1, ["u1"])
    ingest_table(conn, spec, landing)
    config = tmp_path / "sources.yml"
    config.write_text(CONFIG.replace("timezone: UTC", "timezone: Europe/Berlin"))
    berlin = next(s for s in load_config(config) if s.raw_table == "web_events")

    reads.clear()
    reports = ingest_table(conn, berlin, landing)

    assert reads == ["events_20260101.ndjson"]
    assert statuses(reports) == {"events_20260101.ndjson": "replaced"}


def test_a_file_removed_and_delivered_again_is_read_again(tmp_path, spec, conn, reads):
    """A new file under an old name (here the same bytes; append delivery keeps the rows meanwhile)
    is a new inode: it is read, and found to be what was loaded."""
    landing = tmp_path / "landing"
    path = shard(landing, 1, ["u1"])
    content = path.read_bytes()
    ingest_table(conn, spec, landing)
    path.unlink()
    ingest_table(conn, spec, landing)

    path.write_bytes(content)
    reads.clear()
    reports = ingest_table(conn, spec, landing)

    assert reads == ["events_20260101.ndjson"]
    assert statuses(reports) == {"events_20260101.ndjson": "unchanged"}
    assert conn.execute("select count(*) from raw.web_events").fetchone() == (1,)
