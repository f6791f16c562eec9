"""The Spark target's hand-offs with the DuckDB working file, without a cluster: raw tables out as
Parquet, marts back in with their contract types, and a master that does not answer."""

from __future__ import annotations

import json
import socket
from datetime import datetime

import duckdb
import pytest

from orchestration.engines import spark


def test_raw_and_ingest_tables_are_written_as_parquet_folders(tmp_path):
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    conn.execute("create schema raw; create schema ingest; create schema staging")
    conn.execute("create table raw.crm_deals as select range as deal_id, 'won' as stage from range(5)")
    conn.execute("create table ingest.quarantine (source_file varchar, reason varchar)")  # empty: schema only
    conn.execute("create table staging.not_raw as select 1 as x")

    counts = spark.write_raw_parquet(conn, tmp_path / "spark")

    assert counts == {"ingest.quarantine": 0, "raw.crm_deals": 5}
    raw = tmp_path / "spark" / "raw"
    assert conn.execute(f"select sum(deal_id) from read_parquet('{raw}/raw/crm_deals/*.parquet')").fetchone()[0] == 10
    assert [c[0] for c in conn.execute(f"describe select * from read_parquet('{raw}/ingest/quarantine/*.parquet')")
            .fetchall()] == ["source_file", "reason"]
    assert not (raw / "staging").exists()
    # A second write replaces the folder (no leftovers beside it); missing_only leaves it alone.
    conn.execute("insert into raw.crm_deals values (5, 'lost')")
    assert spark.write_raw_parquet(conn, tmp_path / "spark", missing_only=True) == {}
    spark.write_raw_parquet(conn, tmp_path / "spark", [("raw", "crm_deals")])
    assert sorted(p.name for p in (raw / "raw").iterdir()) == ["crm_deals"]
    assert conn.execute(f"select count(*) from read_parquet('{raw}/raw/crm_deals/*.parquet')").fetchone()[0] == 6


def test_spark_marts_come_back_with_their_contract_types(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {
        "model.p.mart_x": {"resource_type": "model", "schema": "marts", "alias": "mart_x",
                           "config": {"materialized": "table"},
                           "columns": {"n": {"data_type": "integer"}, "at": {"data_type": "timestamp"},
                                       "label": {"data_type": "varchar"}}},
        "model.p.stg_y": {"resource_type": "model", "schema": "staging", "alias": "stg_y",
                          "config": {"materialized": "view"}, "columns": {}},
    }}))
    # What Spark writes: 64-bit integers and instants (timestamp with time zone), in a folder of parts.
    folder = tmp_path / "spark" / "tables" / "marts.db" / "mart_x"
    folder.mkdir(parents=True)
    with duckdb.connect() as writer:
        writer.execute("set TimeZone = 'UTC'")
        writer.execute(f"""copy (select 7::bigint as n, timestamptz '2026-01-02 03:04:05+00' as at, 'a' as label)
                           to '{folder}/part-0.parquet' (format parquet)""")
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))

    assert spark.read_spark_marts(conn, tmp_path / "spark", manifest) == {"mart_x": 1}

    assert conn.execute("select column_name, data_type from duckdb_columns() where table_name = 'mart_x' "
                        "order by column_index").fetchall() == [("n", "INTEGER"), ("at", "TIMESTAMP"),
                                                                ("label", "VARCHAR")]
    assert conn.execute('select "at" from marts.mart_x').fetchone()[0] == datetime(2026, 1, 2, 3, 4, 5)


def test_a_mart_spark_did_not_build_is_an_error(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {"model.p.mart_x": {
        "resource_type": "model", "schema": "marts", "alias": "mart_x", "config": {"materialized": "table"},
        "columns": {}}}}))
    with pytest.raises(FileNotFoundError, match="marts.mart_x"):
        spark.read_spark_marts(duckdb.connect(), tmp_path / "spark", manifest)


def test_a_master_that_does_not_answer_is_one_message():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(spark.SparkUnavailable, match=f"spark://127.0.0.1:{port} does not answer.*make spark-up"):
        spark.check_master(f"spark://127.0.0.1:{port}", timeout_s=1)
    spark.check_master("local[2]")  # no cluster to reach


def test_the_cluster_file_names_the_master(tmp_path):
    assert spark.read_cluster_env(tmp_path) == {}
    (tmp_path / "cluster.env").write_text("MOT_SPARK_MASTER=spark://127.0.0.1:7077\nMOT_SPARK_WORKERS=2\n")
    assert spark.read_cluster_env(tmp_path)["MOT_SPARK_MASTER"] == "spark://127.0.0.1:7077"
