"""The raw tables are a function of the landing folder and the configuration: after each change
to the folder (a withdrawn shard, a snapshot re-delivered under a new dated name, with or without
the old file left beside it), the warehouse loaded night after night equals one loaded from
scratch. Real DuckDB, real files."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import duckdb
import pytest

from orchestration import night
from orchestration.ingestion import ConfigError, ingest_table, load_config

CONFIG = """\
sources:
  crm:
    timezone: UTC
    tables:
      contacts:
        files: crm/contacts*.csv
        format: csv
        delivery: %s
        columns:
          contact_id: id
          created_at: created
          email: email
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
SKIP = "exclude (_loaded_at, _load_id)"


def specs(tmp_path: Path, delivery: str = "snapshot"):
    path = tmp_path / "sources.yml"
    path.write_text(CONFIG % delivery)
    return [s for s in load_config(path) if s.raw_table in ("crm_contacts", "web_events")]


def contacts(ids) -> str:
    return "id,created,email\n" + "".join(f"c{i},2026-01-0{1 + i % 9} 10:00:00,c{i}@x.org\n" for i in ids)


def shard(day: int, rows: int) -> str:
    return "".join(json.dumps({"ts": day * 1000 + i, "user": f"u{i}", "name": "page_view"}) + "\n" for i in range(rows))


def ingest(conn, tables, landing: Path) -> list:
    return [r for spec in tables for r in ingest_table(conn, spec, landing)]


def snapshot_of(conn) -> dict:
    return {table: sorted(conn.execute(f"select * {SKIP} from raw.{table}").fetchall(), key=repr)
            for table in ("crm_contacts", "web_events")}


def quarantined(conn) -> list:
    return sorted(conn.execute("select raw_table, source_file, row_number, reason from ingest.quarantine").fetchall())


def equals_a_rebuild(conn, tables, landing: Path) -> dict:
    fresh = duckdb.connect()
    ingest(fresh, tables, landing)
    assert snapshot_of(conn) == snapshot_of(fresh)
    assert quarantined(conn) == quarantined(fresh)
    return snapshot_of(conn)


def aged(path: Path, hours: float) -> None:
    stamp = time.time() - hours * 3600
    os.utime(path, (stamp, stamp))


@pytest.mark.parametrize("old_file_stays", [True, False])
def test_every_night_equals_a_rebuild_of_the_same_landing_folder(tmp_path, old_file_stays):
    tables = specs(tmp_path)
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "web").mkdir()
    (landing / "crm" / "contacts.csv").write_text(contacts(range(20)))
    aged(landing / "crm" / "contacts.csv", 48)
    for day in (1, 2, 3):
        (landing / "web" / f"events_2026010{day}.ndjson").write_text(shard(day, 5) + ("not json\n" if day == 2 else ""))
    conn = duckdb.connect()
    ingest(conn, tables, landing)
    assert len(equals_a_rebuild(conn, tables, landing)["web_events"]) == 15

    # a withdrawn shard: its rows (and its quarantined line) leave
    (landing / "web" / "events_20260102.ndjson").unlink()
    reports = ingest(conn, tables, landing)
    withdrawn = [r for r in reports if r.status == "withdrawn"]
    assert [r.source_file for r in withdrawn] == ["web/events_20260102.ndjson"]
    assert "no longer in the landing folder" in withdrawn[0].message and "5 row(s) left raw" in withdrawn[0].message
    assert len(equals_a_rebuild(conn, tables, landing)["web_events"]) == 10

    # the snapshot re-delivered under a new dated name, five contacts deleted at the source
    (landing / "crm" / "contacts_20260701.csv").write_text(contacts(range(5, 20)))
    if not old_file_stays:
        (landing / "crm" / "contacts.csv").unlink()
    reports = ingest(conn, tables, landing)
    rows = equals_a_rebuild(conn, tables, landing)["crm_contacts"]
    assert sorted(r[0] for r in rows) == sorted(f"c{i}" for i in range(5, 20))
    gone = [r for r in reports if r.status == "withdrawn" and r.raw_table == "crm_contacts"]
    assert [r.source_file for r in gone] == ["crm/contacts.csv"]
    assert ("superseded by the newer snapshot crm/contacts_20260701.csv" if old_file_stays
            else "no longer in the landing folder") in gone[0].message

    # nothing changed: nothing withdrawn again, nothing loaded again
    assert {r.status for r in ingest(conn, tables, landing)} <= {"unchanged", "superseded"}
    equals_a_rebuild(conn, tables, landing)


def test_append_keeps_every_file_and_an_empty_folder_withdraws_nothing(tmp_path):
    tables = specs(tmp_path, "append")
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "crm" / "contacts.csv").write_text(contacts(range(3)))
    (landing / "crm" / "contacts_extra.csv").write_text(contacts(range(3, 5)))
    conn = duckdb.connect()
    ingest(conn, tables, landing)
    assert conn.execute("select count(*) from raw.crm_contacts").fetchone() == (5,)
    for path in (landing / "crm").iterdir():
        path.unlink()  # an unmounted share looks like this: not a withdrawal
    assert not any(r.status == "withdrawn" for r in ingest(conn, tables, landing))
    assert conn.execute("select count(*) from raw.crm_contacts").fetchone() == (5,)


def test_a_withdrawn_file_makes_the_night_run(tmp_path):
    tables = specs(tmp_path, "append")
    landing = tmp_path / "landing"
    (landing / "web").mkdir(parents=True)
    for day in (1, 2):
        (landing / "web" / f"events_2026010{day}.ndjson").write_text(shard(day, 3))
    warehouse, published = tmp_path / "w.duckdb", tmp_path / "p.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        ingest(conn, tables, landing)
    with duckdb.connect(str(published)) as bi:
        bi.execute("create table publish_info as select now()::timestamp + interval 1 hour as published_at")
    assert night.new_or_changed(tables, landing, warehouse, published) == []
    (landing / "web" / "events_20260102.ndjson").unlink()
    assert night.new_or_changed(tables, landing, warehouse, published) == [
        "(no longer part of the landing folder: web/events_20260102.ndjson)"]


def test_delivery_must_be_append_or_snapshot(tmp_path):
    with pytest.raises(ConfigError, match=r"sources\.crm\.tables\.contacts\.delivery: 'weekly' is not one of"):
        specs(tmp_path, "weekly")
