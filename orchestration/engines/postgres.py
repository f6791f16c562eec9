"""Tables between the working DuckDB file and a PostgreSQL server (MOT_DBT_TARGET=postgres).

The loader validates in DuckDB, in process, as on the default target: the raw tables, load_log
and quarantine stay in the working file, which keeps deciding which files are new. Each night
lands them in PostgreSQL (land_raw_table, land_ingest_tables), where dbt builds. The marts come
back with fetch_schema into the working file's `marts` schema, where the mart gate and publish
read them exactly as on the DuckDB target.

Rows cross as CSV through COPY (psycopg2's copy_expert), the bulk path of both engines. In that
CSV, an unquoted empty field is NULL and a quoted one ("") is an empty string, on both sides.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    import duckdb

from ..settings import PostgresServer

# DuckDB type (as duckdb_columns() spells it) -> PostgreSQL type, for the tables ingestion lands.
TO_POSTGRES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}
# PostgreSQL type (information_schema.columns.data_type) -> DuckDB type, for the tables fetched back.
TO_DUCKDB = {
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "character": "VARCHAR",
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "double precision": "DOUBLE",
    "real": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMPTZ",
    "interval": "INTERVAL",
}
# The rows of one load of one file: what a reload replaces as a whole (see loader._load_batch).
LOAD_IDENTITY = ("_load_id", "_source_file", "_mapping")
INGEST_TABLES = ("load_log", "quarantine")


class PostgresUnavailable(RuntimeError):
    """The server in the settings does not answer: a person must start it or fix MOT_PG_*."""


@contextmanager
def connect(server: PostgresServer) -> Iterator:
    import psycopg2  # late: only the postgres target needs it

    try:
        conn = psycopg2.connect(connect_timeout=10, **server.connect_kwargs())
    except psycopg2.OperationalError as exc:
        raise PostgresUnavailable(
            f"PostgreSQL at {server.host}:{server.port} (database {server.database}, user {server.user}) does not "
            f"answer: {str(exc).strip().splitlines()[0]}; start the project's server with `make postgres-up` "
            f"or set MOT_PG_HOST/MOT_PG_PORT/MOT_PG_USER/MOT_PG_PASSWORD/MOT_PG_DATABASE"
        ) from None
    try:
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def _columns(duck: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return duck.execute(
        """select column_name, data_type from duckdb_columns()
           where database_name = current_database() and schema_name = ? and table_name = ?
           order by column_index""",
        [schema, table],
    ).fetchall()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _postgres_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "numeric")
    try:
        return TO_POSTGRES[duckdb_type]
    except KeyError:
        raise ValueError(f"no PostgreSQL type for DuckDB's {duckdb_type}") from None


def _ensure_table(cur, schema: str, table: str, columns: list[tuple[str, str]]) -> None:
    """The table with these columns; columns added to the DuckDB table since are added here too."""
    cur.execute(f"create schema if not exists {_quoted(schema)}")
    definition = ", ".join(f"{_quoted(name)} {_postgres_type(kind)}" for name, kind in columns)
    cur.execute(f"create table if not exists {_quoted(schema)}.{_quoted(table)} ({definition})")
    for name, kind in columns:
        cur.execute(f"alter table {_quoted(schema)}.{_quoted(table)} "
                    f"add column if not exists {_quoted(name)} {_postgres_type(kind)}")


def _copy_rows(duck, cur, query: str, params: list, schema: str, table: str, names: list[str],
               scratch: Path) -> None:
    csv_path = scratch / f"{schema}.{table}.csv"
    duck.execute(f"copy ({query}) to '{csv_path}' (format csv, header false)", params)
    with open(csv_path, "rb") as rows:
        cur.copy_expert(
            f"copy {_quoted(schema)}.{_quoted(table)} ({', '.join(map(_quoted, names))}) from stdin with (format csv)",
            rows,
        )
    csv_path.unlink()


def land_raw_table(duck: duckdb.DuckDBPyConnection, server: PostgresServer, schema: str, table: str) -> dict:
    """Make PostgreSQL's copy of a raw table hold the same loads as the DuckDB one.

    A load (one file's rows under one load id and mapping) is never changed in place, only
    deleted when its file is reloaded, so only loads that are new in DuckDB cross the wire and
    loads gone from DuckDB are deleted: an unchanged night moves nothing. One transaction: dbt
    never reads a half-landed table.
    """
    columns = _columns(duck, schema, table)
    names = [name for name, _ in columns]
    identity = ", ".join(LOAD_IDENTITY)
    present = duck.execute(f"select distinct {identity} from {schema}.{table}").fetchall()
    with connect(server) as pg, pg.cursor() as cur, tempfile.TemporaryDirectory(prefix="mot-pg-") as scratch:
        _ensure_table(cur, schema, table, columns)
        cur.execute(f"select distinct {identity} from {_quoted(schema)}.{_quoted(table)}")
        landed = set(cur.fetchall())
        gone = landed - set(present)
        new = [load for load in present if load not in landed]
        if gone:
            cur.execute(
                f"delete from {_quoted(schema)}.{_quoted(table)} "
                f"where ({identity}) in (select * from unnest(%s::text[], %s::text[], %s::text[]))",
                [list(column) for column in zip(*gone)],
            )
        if new:
            duck.execute("create or replace temp table _loads_to_land (_load_id varchar, _source_file varchar, "
                         "_mapping varchar)")
            duck.executemany("insert into _loads_to_land values (?, ?, ?)", new)
            selected = ", ".join(f"t.{_quoted(n)}" for n in names)
            matches = " and ".join(f"t.{c} is not distinct from l.{c}" for c in LOAD_IDENTITY)
            _copy_rows(duck, cur,
                       f"select {selected} from {schema}.{table} t semi join _loads_to_land l on {matches}",
                       [], schema, table, names, Path(scratch))
            duck.execute("drop table _loads_to_land")
        cur.execute(f"analyze {_quoted(schema)}.{_quoted(table)}")
    return {"loads_landed": len(new), "loads_removed": len(gone)}


def land_ingest_tables(duck: duckdb.DuckDBPyConnection, server: PostgresServer, schema: str = "ingest") -> None:
    """Replace PostgreSQL's load_log and quarantine with DuckDB's (small tables: copied whole)."""
    with connect(server) as pg, pg.cursor() as cur, tempfile.TemporaryDirectory(prefix="mot-pg-") as scratch:
        for table in INGEST_TABLES:
            columns = _columns(duck, schema, table)
            _ensure_table(cur, schema, table, columns)
            cur.execute(f"truncate {_quoted(schema)}.{_quoted(table)}")
            names = [name for name, _ in columns]
            _copy_rows(duck, cur, f"select {', '.join(map(_quoted, names))} from {schema}.{table}", [],
                       schema, table, names, Path(scratch))


def fetch_schema(server: PostgresServer, schema: str, duck: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Copy every table of a PostgreSQL schema into the same schema of the DuckDB file, replacing
    what was there (tables PostgreSQL no longer has are dropped); return the rows per table.
    Column types are mapped one to one (the marts' contracts fix them on both engines)."""
    with connect(server) as pg, pg.cursor() as cur, tempfile.TemporaryDirectory(prefix="mot-pg-") as scratch:
        cur.execute(
            """select c.table_name, c.column_name, c.data_type, c.numeric_precision, c.numeric_scale
               from information_schema.columns c
               join information_schema.tables t using (table_schema, table_name)
               where c.table_schema = %s and t.table_type = 'BASE TABLE'
               order by c.table_name, c.ordinal_position""",
            [schema],
        )
        tables: dict[str, list[tuple[str, str]]] = {}
        for table, column, kind, precision, scale in cur.fetchall():
            tables.setdefault(table, []).append((column, _duckdb_type(kind, precision, scale)))
        duck.execute(f"create schema if not exists {_quoted(schema)}")
        counts = {}
        duck.execute("begin transaction")
        try:
            for (stale,) in duck.execute(
                "select table_name from duckdb_tables() where database_name = current_database() and schema_name = ?",
                [schema],
            ).fetchall():
                if stale not in tables:
                    duck.execute(f"drop table {_quoted(schema)}.{_quoted(stale)}")
            for table, columns in tables.items():
                csv_path = Path(scratch) / f"{table}.csv"
                names = ", ".join(_quoted(name) for name, _ in columns)
                with open(csv_path, "wb") as out:
                    # FORCE_QUOTE: every value quoted, so only a NULL is an empty unquoted field.
                    cur.copy_expert(f"copy (select {names} from {_quoted(schema)}.{_quoted(table)}) to stdout "
                                    f"with (format csv, force_quote *)", out)
                spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns) + "}"
                duck.execute(
                    f"""create or replace table {_quoted(schema)}.{_quoted(table)} as
                        select * from read_csv('{csv_path}', columns = {spec}, header = false, auto_detect = false,
                                               quote = '"', escape = '"', allow_quoted_nulls = false)"""
                )
                counts[table] = duck.execute(f"select count(*) from {_quoted(schema)}.{_quoted(table)}").fetchone()[0]
            duck.execute("commit")
        except BaseException:
            duck.execute("rollback")
            raise
    return counts


def _duckdb_type(kind: str, precision, scale) -> str:
    if kind == "numeric":
        return f"DECIMAL({precision}, {scale})" if precision is not None else "DOUBLE"
    try:
        return TO_DUCKDB[kind]
    except KeyError:
        raise ValueError(f"no DuckDB type for PostgreSQL's {kind}") from None
