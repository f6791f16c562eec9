"""The Spark target's two hand-offs with the DuckDB working file (plain Python, no Dagster).

Ingestion validates and types every landing file with DuckDB (orchestration/ingestion), into the
working file, whatever the target. On Spark, dbt then reads the raw tables, the load log and the
quarantine from Parquet folders (write_raw_parquet, before dbt runs; macros/register_raw_sources.sql
declares them as external tables), and builds every model on the cluster as Parquet tables.
read_spark_marts brings the marts back into the working file's `marts` schema, so the mart gate and
the publish step read the same tables on every engine and BI gets the same file.

Layout of the Spark folder (Settings.spark_dir, MOT_SPARK_DIR): raw/<schema>/<table>/ (written
here), tables/<schema>.db/<table>/ (Spark's warehouse, written by dbt), metastore_db/ (Derby).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from urllib.parse import urlparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

RAW_SCHEMAS = ("raw", "ingest")
MARTS_SCHEMA = "marts"


class SparkUnavailable(Exception):
    """The Spark master the settings name does not answer: one line, before anything is loaded."""


def check_master(master: str, timeout_s: float = 5.0) -> None:
    """Raise SparkUnavailable unless a spark:// master accepts a connection (local[*] always passes)."""
    if not master.startswith("spark://"):
        return
    url = urlparse(master)
    try:
        with socket.create_connection((url.hostname, url.port or 7077), timeout=timeout_s):
            pass
    except OSError as exc:
        raise SparkUnavailable(f"the Spark master {master} does not answer ({exc.strerror or exc}): "
                               "start one with `make spark-up`, or set MOT_SPARK_MASTER") from exc


def read_cluster_env(state_dir: Path) -> dict[str, str]:
    """KEY=value lines scripts/spark.sh wrote for the running cluster ({} when none runs)."""
    path = Path(state_dir) / "cluster.env"
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def write_raw_parquet(conn: duckdb.DuckDBPyConnection, spark_dir: Path,
                      tables: list[tuple[str, str]] | None = None, missing_only: bool = False) -> dict[str, int]:
    """Tables of the working file as raw/<schema>/<table>/data.parquet; their row counts.

    `tables` (schema, table) defaults to every table of the raw and ingest schemas; `missing_only`
    writes only those without a folder yet. Each folder is written beside its final place and
    renamed over it, so Spark never lists a half-written folder. Empty tables are written too:
    their schema is what Spark declares.
    """
    raw_dir = Path(spark_dir) / "raw"
    if tables is None:
        tables = conn.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
            f"and schema_name in ({', '.join(repr(s) for s in RAW_SCHEMAS)}) order by 1, 2"
        ).fetchall()
    counts = {}
    for schema, table in tables:
        final = raw_dir / schema / table
        if missing_only and final.is_dir():
            continue
        scratch = final.with_name(f".{table}.{uuid.uuid4().hex}")
        scratch.mkdir(parents=True)
        conn.execute(
            f"copy (select * from {schema}.\"{table}\") to '{_sql(scratch / 'data.parquet')}' "
            "(format parquet, compression zstd)"
        )
        old = final.with_name(f".{table}.old.{uuid.uuid4().hex}")
        if final.exists():
            final.rename(old)
        scratch.rename(final)
        shutil.rmtree(old, ignore_errors=True)
        counts[f"{schema}.{table}"] = conn.execute(f"select count(*) from {schema}.\"{table}\"").fetchone()[0]
    return counts


def mart_columns(manifest_path: Path) -> dict[str, dict[str, str]]:
    """{table: {column: contract data type}} of every model in the marts schema, from the manifest."""
    manifest = json.loads(Path(manifest_path).read_text())
    marts = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != MARTS_SCHEMA:
            continue
        if node["config"].get("materialized") in ("view", "ephemeral"):
            continue
        marts[node["alias"]] = {name: column.get("data_type") for name, column in node["columns"].items()}
    return marts


def read_spark_marts(conn: duckdb.DuckDBPyConnection, spark_dir: Path, manifest_path: Path) -> dict[str, int]:
    """Replace the working file's marts with the Parquet tables Spark built; row counts.

    A column with a contract type is cast to it, so a mart has the same types whichever engine
    built it (Spark writes timestamps with a time zone, and strings with no length).
    """
    tables_dir = Path(spark_dir) / "tables" / f"{MARTS_SCHEMA}.db"
    counts = {}
    # Spark's timestamps are instants; as UTC wall-clock times they are what the other engines hold.
    conn.execute("set TimeZone = 'UTC'")
    conn.execute(f"create schema if not exists {MARTS_SCHEMA}")
    for table, columns in sorted(mart_columns(manifest_path).items()):
        folder = tables_dir / table
        if not folder.is_dir():
            raise FileNotFoundError(f"Spark built no table {MARTS_SCHEMA}.{table} ({folder} is missing)")
        source = f"read_parquet('{_sql(folder)}/*.parquet')"
        present = [row[0] for row in conn.execute(f"describe select * from {source}").fetchall()]
        select = ", ".join(_cast(name, columns.get(name)) for name in present)
        conn.execute(f'create or replace table {MARTS_SCHEMA}."{table}" as select {select} from {source}')
        counts[table] = conn.execute(f'select count(*) from {MARTS_SCHEMA}."{table}"').fetchone()[0]
    return counts


def _cast(name: str, data_type: str | None) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    return f"cast({quoted} as {data_type}) as {quoted}" if data_type else quoted


def _sql(path: Path | str) -> str:
    return os.fspath(path).replace("'", "''")
