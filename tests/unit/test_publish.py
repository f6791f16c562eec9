"""Publishing is an atomic replace: readers see the old or the new file, a failure changes nothing."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.publish import PublishError, publish_manifest, publish_marts, table_checksums


def make_warehouse(path, value):
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create schema if not exists raw")
        conn.execute("create or replace table raw.contacts as select 'a@example.com' as email")
        conn.execute(f"create or replace table marts.mart_x as select {value} as v from range(3)")


def test_publish_copies_only_the_marts_schema(tmp_path):
    make_warehouse(tmp_path / "wh.duckdb", 1)
    counts = publish_marts(tmp_path / "wh.duckdb", tmp_path / "pub" / "marts.duckdb", run_id="night-1")
    assert counts == {"mart_x": 3}
    with duckdb.connect(str(tmp_path / "pub" / "marts.duckdb"), read_only=True) as bi:
        assert bi.execute("select schema_name, table_name from duckdb_tables() order by 2").fetchall() == [
            ("main", "mart_x"), ("main", "publish_info")]
        assert {t: (e["rows"], e["run_id"]) for t, e in publish_manifest(bi).items()} == {"mart_x": (3, "night-1")}
    assert sorted(p.name for p in (tmp_path / "pub").iterdir()) == ["marts.duckdb"]


def test_a_reader_holding_the_old_file_is_not_locked_out_and_sees_one_version(tmp_path):
    make_warehouse(tmp_path / "wh.duckdb", 1)
    published = tmp_path / "marts.duckdb"
    publish_marts(tmp_path / "wh.duckdb", published)
    reader = duckdb.connect(str(published), read_only=True)
    make_warehouse(tmp_path / "wh.duckdb", 2)
    publish_marts(tmp_path / "wh.duckdb", published)
    assert reader.execute("select distinct v from mart_x").fetchall() == [(1,)]
    reader.close()
    with duckdb.connect(str(published), read_only=True) as fresh:
        assert fresh.execute("select distinct v from mart_x").fetchall() == [(2,)]


def test_a_failed_publish_leaves_the_last_good_file(tmp_path):
    make_warehouse(tmp_path / "wh.duckdb", 1)
    published = tmp_path / "marts.duckdb"
    publish_marts(tmp_path / "wh.duckdb", published)
    before = published.read_bytes()
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as conn:
        conn.execute("drop schema marts cascade")
    with pytest.raises(RuntimeError, match="nothing to publish"):
        publish_marts(tmp_path / "wh.duckdb", published)
    assert published.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_publish_killed_half_way_leaves_a_scratch_file_the_next_publish_clears(tmp_path):
    make_warehouse(tmp_path / "wh.duckdb", 1)
    published = tmp_path / "marts.duckdb"
    stale = tmp_path / ".marts.duckdb.deadbeef.tmp"
    stale.write_bytes(b"half a database")
    publish_marts(tmp_path / "wh.duckdb", published)
    assert not stale.exists()


def test_checksums_depend_on_content_not_on_row_order_or_run(tmp_path):
    make_warehouse(tmp_path / "wh.duckdb", 1)
    publish_marts(tmp_path / "wh.duckdb", tmp_path / "a.duckdb", run_id="a")
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as conn:
        conn.execute("create or replace table marts.mart_x as select * from marts.mart_x order by v desc")
    publish_marts(tmp_path / "wh.duckdb", tmp_path / "b.duckdb", run_id="b")
    assert table_checksums(tmp_path / "a.duckdb") == table_checksums(tmp_path / "b.duckdb")
    make_warehouse(tmp_path / "wh.duckdb", 2)
    publish_marts(tmp_path / "wh.duckdb", tmp_path / "c.duckdb")
    assert table_checksums(tmp_path / "c.duckdb") != table_checksums(tmp_path / "a.duckdb")


def test_a_missing_warehouse_is_a_clear_publish_error(tmp_path):
    with pytest.raises(PublishError, match="last published file was left as it was"):
        publish_marts(tmp_path / "no" / "such.duckdb", tmp_path / "marts.duckdb")
