"""The published file documents itself: dbt descriptions as comments, and a `publish_info` table.

A BI user browsing the published DuckDB file sees what each table and column means (the dbt
descriptions, written once in the models' YAML) and, in `publish_info`, which run published it,
when, and up to when each source's data reaches. Plain Python over an open connection: `publish`
calls `document_published_file` on the new file before renaming it into place.

Each table comment keeps the run record `publish` wrote (run id, rows, published at) as a JSON
suffix after RUN_RECORD_MARKER, so the description reads first in a BI tool and
`publish.publish_manifest` still reads the record back.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import duckdb

PUBLISH_INFO_TABLE = "publish_info"
# The run record follows the description after this line; a comment without it is a record alone
# (files published before descriptions travelled) or a description alone (publish_info).
RUN_RECORD_MARKER = "\n\npublished by run: "
ALL_SOURCES = "all"

PUBLISH_INFO_DESCRIPTION = (
    "Which run published this file and how fresh its data is: one row per source table (data_as_of "
    "= the latest timestamp of that source's rows) and one row 'all' (data_as_of = the time the "
    "marts are as of). Rebuilt by every publish."
)
PUBLISH_INFO_COLUMNS = {
    "source": "The landing source table (crm_contacts, web_events, …), or 'all' for the marts as a whole.",
    "run_id": "The run that published this file (a Dagster run id).",
    "published_at": "When the file was published (UTC).",
    "data_as_of": "Latest timestamp of the source's data (UTC); NULL when the data cannot tell.",
    "project_version": "Version of the moments-of-truth package that built the marts.",
    "dbt_version": "Version of dbt-core that built the marts.",
}


def document_published_file(
    conn: duckdb.DuckDBPyConnection, manifest_path: Path | None, run_id: str, published_at: str
) -> None:
    """Comment every table and column from the dbt manifest, then write `publish_info`."""
    describe_tables(conn, read_descriptions(manifest_path))
    write_publish_info(conn, run_id, published_at)


def read_descriptions(manifest_path: Path | None, schema: str = "marts") -> dict[str, tuple[str, dict[str, str]]]:
    """{model name: (description, {column: description})} of the models built into `schema`.

    A missing manifest gives no descriptions rather than a failed publish: the marts are already
    checked, and a file without comments is still a correct file.
    """
    if manifest_path is None or not Path(manifest_path).exists():
        return {}
    nodes = json.loads(Path(manifest_path).read_text(encoding="utf-8")).get("nodes", {})
    return {
        node["name"]: (
            node.get("description") or "",
            {name: col.get("description") or "" for name, col in (node.get("columns") or {}).items()},
        )
        for node in nodes.values()
        if node.get("resource_type") == "model" and node.get("schema") == schema
    }


def describe_tables(conn: duckdb.DuckDBPyConnection, descriptions: dict[str, tuple[str, dict[str, str]]]) -> None:
    """Put each model's description before the run record already in the table's comment."""
    tables = conn.execute(
        "select table_name, comment from duckdb_tables() where schema_name = 'main' order by 1"
    ).fetchall()
    for table, existing in tables:
        if table not in descriptions:
            continue
        description, columns = descriptions[table]
        if description.strip():
            comment = description.strip() + (RUN_RECORD_MARKER + existing if existing else "")
            conn.execute(f'comment on table main."{table}" is {_literal(comment)}')
        published_columns = {
            c for (c,) in conn.execute(
                "select column_name from duckdb_columns() where schema_name = 'main' and table_name = ?", [table]
            ).fetchall()
        }
        for column, text in columns.items():
            if column in published_columns and text.strip():
                conn.execute(f'comment on column main."{table}"."{column}" is {_literal(text.strip())}')


def run_record(comment: str | None) -> dict | None:
    """The run record of a table comment (the JSON after the marker, or the whole comment)."""
    if not comment:
        return None
    record = comment.rpartition(RUN_RECORD_MARKER)[2]
    try:
        parsed = json.loads(record)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def write_publish_info(conn: duckdb.DuckDBPyConnection, run_id: str, published_at: str) -> None:
    published = datetime.fromisoformat(published_at).astimezone(timezone.utc).replace(tzinfo=None)
    versions = (_version("moments-of-truth"), _dbt_version())
    rows = [(source, run_id, published, as_of, *versions) for source, as_of in data_as_of(conn)]
    conn.execute(
        f"""create table main.{PUBLISH_INFO_TABLE} (
                source varchar not null, run_id varchar not null, published_at timestamp not null,
                data_as_of timestamp, project_version varchar, dbt_version varchar)"""
    )
    conn.executemany(f"insert into main.{PUBLISH_INFO_TABLE} values (?, ?, ?, ?, ?, ?)", rows)
    conn.execute(f"comment on table main.{PUBLISH_INFO_TABLE} is {_literal(PUBLISH_INFO_DESCRIPTION)}")
    for column, text in PUBLISH_INFO_COLUMNS.items():
        conn.execute(f"comment on column main.{PUBLISH_INFO_TABLE}.{column} is {_literal(text)}")


def data_as_of(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, datetime | None]]:
    """[(source, latest timestamp)] from mart_coverage, then ('all', the marts' as-of time).

    Either table may be absent (a build without it, or a test file): their rows are then missing
    (no coverage) or NULL (no as-of), never a made-up time.
    """
    rows: list[tuple[str, datetime | None]] = []
    if _has_columns(conn, "mart_coverage", "coverage_kind", "coverage_item", "last_at"):
        rows = conn.execute(
            """select coverage_item, last_at from main.mart_coverage
               where coverage_kind = 'source_table' order by coverage_item"""
        ).fetchall()
    overall = None
    if _has_columns(conn, "mart_time_to_moment", "as_of_at"):
        overall = conn.execute("select max(as_of_at) from main.mart_time_to_moment").fetchone()[0]
    return [*rows, (ALL_SOURCES, overall)]


def _has_columns(conn: duckdb.DuckDBPyConnection, table: str, *columns: str) -> bool:
    present = {
        c for (c,) in conn.execute(
            "select column_name from duckdb_columns() where schema_name = 'main' and table_name = ?", [table]
        ).fetchall()
    }
    return set(columns) <= present


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None  # running from a checkout that was never installed


def _dbt_version() -> str | None:
    try:
        from dbt.version import __version__
    except ImportError:
        return None
    return str(__version__)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
