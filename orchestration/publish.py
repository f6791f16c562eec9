"""Publish: copy the marts into the BI-facing DuckDB file by an atomic replace.

BI readers open the published file, never the working warehouse (DuckDB has one writer, and a
writer locks readers out). A new file is built beside the published one and renamed over it:
a reader that holds the old file keeps reading the old version, a new reader gets the new one,
and a failed publish leaves the old file untouched.

Every published table carries a comment naming the run that published it and its row count
(`publish_manifest()` reads them back), so a reader can tell which version it reads and prove it
never reads two versions at once, while the file still holds nothing but facts, dims and marts
(and `publish_info`, the run and data dates; publish_docs writes it and the dbt descriptions).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from . import publish_docs

PUBLISHED_SCHEMA = "marts"


class PublishError(RuntimeError):
    """The publish failed; the last published file is still the one BI reads."""


def publish_marts(
    warehouse_path: Path,
    published_path: Path,
    schema: str = PUBLISHED_SCHEMA,
    run_id: str | None = None,
    manifest_path: Path | None = None,
) -> dict[str, int]:
    """Publish every table of `schema`; return the row count of each published table.

    `manifest_path` is the dbt manifest whose descriptions become the tables' comments
    (default: the project's target/manifest.json).
    """
    published_path = Path(published_path)
    run_id = run_id or uuid.uuid4().hex
    manifest_path = manifest_path or _default_manifest_path()
    try:
        published_path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_scratch(published_path)
    except OSError as exc:
        raise PublishError(_explain(exc, published_path)) from exc
    scratch = published_path.with_name(f".{published_path.name}.{uuid.uuid4().hex}.tmp")
    try:
        counts = _build(Path(warehouse_path), scratch, schema, run_id, manifest_path)
        _fsync(scratch)
        os.replace(scratch, published_path)
        _fsync(published_path.parent)
    except (OSError, duckdb.Error) as exc:
        raise PublishError(_explain(exc, published_path)) from exc
    finally:
        for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass  # the publish error already says what went wrong; this is only tidying
    return counts


def publish_manifest(conn: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """{table: {"run_id", "rows", "published_at"}} of the published file open on `conn`.

    The record is the comment's suffix after the table's dbt description (see publish_docs);
    publish_info records the run itself and carries no record.
    """
    records = {
        table: publish_docs.run_record(comment)
        for table, comment in conn.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'main' order by 1"
        ).fetchall()
    }
    return {table: record for table, record in records.items() if record is not None}


def table_checksums(database: Path, ignore: Mapping[str, Iterable[str]] | None = None,
                    double_decimals: int | None = None) -> dict[str, tuple[int, str]]:
    """(rows, md5 of the sorted rows) per table of a published file.

    Two publishes of the same data give the same checksums whatever order the rows were written in.
    `ignore` leaves columns out, by table (e.g. when a source last brought rows, which is the
    warehouse's history rather than its data). `double_decimals` rounds floating-point columns:
    a sum over doubles depends on the order the engine's threads add rows in, so two builds of the
    same data can differ in the last bits.
    """
    ignore = ignore or {}
    with duckdb.connect(str(database), read_only=True) as conn:
        # publish_info names the run and its time: it differs between two publishes of the same data.
        tables = [
            r[0]
            for r in conn.execute("select table_name from duckdb_tables() order by 1").fetchall()
            if r[0] != publish_docs.PUBLISH_INFO_TABLE
        ]
        checksums = {}
        for table in tables:
            left_out = set(ignore.get(table) or ())
            columns = [
                f'round("{name}", {int(double_decimals)}) as "{name}"'
                if double_decimals is not None and kind in ("DOUBLE", "FLOAT") else f'"{name}"'
                for name, kind in conn.execute(
                    "select column_name, data_type from duckdb_columns() "
                    "where schema_name = 'main' and table_name = ? order by column_index", [table]).fetchall()
                if name not in left_out
            ]
            checksums[table] = conn.execute(
                f"""select count(*), coalesce(md5(string_agg(row_text, chr(10) order by row_text)), '')
                    from (select cast(t as varchar) as row_text
                          from (select {', '.join(columns)} from main."{table}") t)"""
            ).fetchone()
        return checksums


def _build(warehouse_path: Path, target: Path, schema: str, run_id: str, manifest_path: Path) -> dict[str, int]:
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
        published_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for table, rows in counts.items():
            note = json.dumps({"run_id": run_id, "rows": rows, "published_at": published_at})
            conn.execute(f"comment on table main.\"{table}\" is '{_sql(note)}'")
        publish_docs.document_published_file(conn, manifest_path, run_id, published_at)
        conn.execute("checkpoint")
        return counts
    finally:
        conn.close()


def _default_manifest_path() -> Path:
    from .settings import PROJECT_DIR

    return PROJECT_DIR / "target" / "manifest.json"


def _remove_stale_scratch(published_path: Path) -> None:
    """A publish killed half-way leaves its scratch file; the next publish clears it.

    Only one publish runs at a time (the warehouse pool), so any scratch file found here is stale.
    """
    for stale in published_path.parent.glob(f".{published_path.name}.*.tmp*"):
        stale.unlink(missing_ok=True)


def _explain(exc: BaseException, published_path: Path) -> str:
    reason = getattr(exc, "strerror", None) or str(exc)
    where = getattr(exc, "filename", None) or published_path.parent
    return (
        f"publish to {published_path} failed: {reason} ({where}). "
        f"The last published file was left as it was and is still what BI reads."
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sql(path: Path) -> str:
    return str(path).replace("'", "''")
