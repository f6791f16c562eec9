"""The published file documents itself: dbt descriptions as comments, a publish_info table."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import metadata

import duckdb
from dbt.version import __version__ as dbt_version

from orchestration.publish import publish_manifest, publish_marts, table_checksums

MANIFEST = {
    "nodes": {
        "model.moments_of_truth.mart_x": {
            "resource_type": "model",
            "name": "mart_x",
            "schema": "marts",
            "description": "One row per thing; it's what BI reads.",
            "columns": {
                "v": {"name": "v", "description": "The value."},
                "gone": {"name": "gone", "description": "A documented column the table no longer has."},
            },
        },
        "model.moments_of_truth.stg_x": {
            "resource_type": "model", "name": "mart_coverage", "schema": "staging",
            "description": "A staging model that happens to share a published name.", "columns": {},
        },
    }
}


def make_warehouse(path, with_coverage=True):
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.mart_x as select 1 as v, 'a' as undocumented from range(2)")
        if with_coverage:
            conn.execute("""create table marts.mart_coverage as select * from (values
                ('source_table', 'crm_contacts', timestamp '2026-06-30 12:00:00'),
                ('source_table', 'web_events', timestamp '2026-06-29 08:00:00'),
                ('moment', 'zmot', timestamp '2026-06-30 12:00:00')) t(coverage_kind, coverage_item, last_at)""")
            conn.execute("""create table marts.mart_time_to_moment as select * from (values
                (timestamp '2026-06-30 23:00:00'), (timestamp '2026-06-30 23:00:00')) t(as_of_at)""")


def publish(tmp_path, with_coverage=True, manifest=MANIFEST, run_id="night-7"):
    make_warehouse(tmp_path / "wh.duckdb", with_coverage)
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(json.dumps(manifest))
    published = tmp_path / "pub.duckdb"
    counts = publish_marts(tmp_path / "wh.duckdb", published, run_id=run_id, manifest_path=manifest_path)
    return published, counts


def test_tables_and_columns_carry_the_dbt_descriptions_and_the_run_record_still_reads_back(tmp_path):
    published, counts = publish(tmp_path)
    with duckdb.connect(str(published), read_only=True) as bi:
        comment = bi.execute("select comment from duckdb_tables() where table_name = 'mart_x'").fetchone()[0]
        assert comment.startswith("One row per thing; it's what BI reads.")
        columns = dict(bi.execute(
            "select column_name, comment from duckdb_columns() where table_name = 'mart_x'").fetchall())
        assert columns == {"v": "The value.", "undocumented": None}
        # a staging model's description never lands on a published table of the same name
        coverage = bi.execute("select comment from duckdb_tables() where table_name = 'mart_coverage'").fetchone()[0]
        assert "staging" not in coverage
        manifest = publish_manifest(bi)
    assert set(manifest) == set(counts) == {"mart_x", "mart_coverage", "mart_time_to_moment"}
    assert {t: (e["run_id"], e["rows"]) for t, e in manifest.items()} == {
        "mart_x": ("night-7", 2), "mart_coverage": ("night-7", 3), "mart_time_to_moment": ("night-7", 2)}


def test_publish_info_has_a_row_per_source_and_one_for_all(tmp_path):
    published, _ = publish(tmp_path)
    with duckdb.connect(str(published), read_only=True) as bi:
        rows = bi.execute("select * from publish_info order by source").fetchall()
        types = dict(bi.execute(
            "select column_name, data_type from duckdb_columns() where table_name = 'publish_info'").fetchall())
        assert bi.execute("select comment from duckdb_tables() where table_name = 'publish_info'").fetchone()[0]
    assert types["published_at"] == types["data_as_of"] == "TIMESTAMP"
    assert [(r[0], r[3]) for r in rows] == [
        ("all", datetime(2026, 6, 30, 23)),
        ("crm_contacts", datetime(2026, 6, 30, 12)),
        ("web_events", datetime(2026, 6, 29, 8)),
    ]
    assert {r[1] for r in rows} == {"night-7"}
    assert len({r[2] for r in rows}) == 1 and abs((datetime.utcnow() - rows[0][2]).total_seconds()) < 120
    assert {(r[4], r[5]) for r in rows} == {(metadata.version("moments-of-truth"), dbt_version)}


def test_without_coverage_or_manifest_publish_info_says_null_and_nothing_fails(tmp_path):
    published, _ = publish(tmp_path, with_coverage=False, manifest={"nodes": {}})
    with duckdb.connect(str(published), read_only=True) as bi:
        assert bi.execute("select source, data_as_of from publish_info").fetchall() == [("all", None)]
        assert publish_manifest(bi)["mart_x"]["rows"] == 2


def test_checksums_ignore_the_run_record_table(tmp_path):
    first, _ = publish(tmp_path, run_id="a")
    second = tmp_path / "again.duckdb"
    publish_marts(tmp_path / "wh.duckdb", second, run_id="b", manifest_path=tmp_path / "manifest.json")
    assert "publish_info" not in table_checksums(first)
    assert table_checksums(first) == table_checksums(second)
