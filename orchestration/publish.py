"""Publish: copy the marts into the BI-facing DuckDB file by an atomic replace.

BI readers open the published file, never the working warehouse (DuckDB has one writer, and a
writer locks readers out). A new file is built beside the published one and renamed over it:
a reader that holds the old file keeps reading the old version, a new reader gets the new one,
and a failed publish leaves the old file untouched.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb
PUBLISHED_SCHEMA = "marts"


def publish_marts(warehouse_path: Path, published_path: Path, schema: str = PUBLISHED_SCHEMA) -> dict[str, int]:
    """Publish every table of `schema`; return the row count of each published table."""
    published_path = Path(published_path)
    published_path.parent.mkdir(parents=True, exist_ok=True)
    scratch = published_path.with_name(f".{published_path.name}.{uuid.uuid4().hex}.tmp")
    try:
        counts = _build(Path(warehouse_path), scratch, schema)
        _fsync(scratch)
        os.replace(scratch, published_path)
        _fsync(published_path.parent)
    finally:
        for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return counts


def _build(warehouse_path: Path, target: Path, schema: str) -> dict[str, int]:
    conn = duckdb.connect(str(target))
    try:
        conn.execute(f"attach '{_sql(warehouse_path)}' as warehouse (read_only)")
        tables = [
            row[0]
            for row in conn.execute(
                """select table_name from duckdb_tables()
                   where database_name = 'warehouse' and schema_name = ? order by table_name""",
                [schema],
            ).fetchall()
        ]
        if not tables:
            raise RuntimeError(f"nothing to publish: schema {schema!r} of {warehouse_path} has no tables")
        counts = {}
        for table in tables:
            conn.execute(f'create table main."{table}" as select * from warehouse.{schema}."{table}"')
            counts[table] = conn.execute(f'select count(*) from main."{table}"').fetchone()[0]
        conn.execute("detach warehouse")
        conn.execute("checkpoint")
        return counts
    finally:
        conn.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sql(path: Path) -> str:
    return str(path).replace("'", "''")

