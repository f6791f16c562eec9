"""Landing files -> raw tables, losing nothing.

Each file is first staged (csv_staging, json_staging) into a temporary table of text: one row per
data row of the file, with its row and line number and, when the row's structure cannot be read,
the reason; the canonical columns are already mapped. Then one vectorised pass checks every typed
column: a row whose structure is bad, whose value does not parse, or whose required value is
missing goes to quarantine with the columns at fault.

A file is loaded in one transaction (its earlier rows, if its content changed, are replaced), so
rows read = rows loaded + rows quarantined holds for every file; an unchanged file is a no-op, a
file whose content was already loaded under another name is not loaded twice, and a file that is
rejected or empty leaves whatever was loaded before untouched.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .config import RAW_TYPES, ColumnSpec, TableSpec
from .csv_staging import stage_csv
from .json_staging import stage_ndjson, stage_parquet
from .staging import EXTRA_COLUMN, FileRejected

RAW_SCHEMA = "raw"
META_SCHEMA = "ingest"
METADATA_COLUMNS = (
    ("_source_file", "VARCHAR"),
    ("_row_number", "BIGINT"),
    ("_file_checksum", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
    ("_source_timezone", "VARCHAR"),
    ("_load_id", "VARCHAR"),
)
TRUE_WORDS = ("true", "t", "1", "yes", "y")
BOOLEAN_WORDS = TRUE_WORDS + ("false", "f", "0", "no", "n")
LOADED = ("loaded", "replaced")
STAGERS = {"csv": stage_csv, "ndjson": stage_ndjson, "parquet": stage_parquet}
# An ISO timestamp that carries its own offset is converted to the source's local time, so that
# staging's one conversion (source time zone -> UTC) is right for every row.
OFFSET_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*(Z|[+-]\d{2}(:?\d{2})?)$"


@dataclass
class FileReport:
    raw_table: str
    source_file: str
    file_checksum: str
    status: str  # loaded | replaced | unchanged | duplicate | empty | rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    extra_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def ensure_schemas(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"create schema if not exists {RAW_SCHEMA}")
    conn.execute(f"create schema if not exists {META_SCHEMA}")
    conn.execute(
        f"""
        create table if not exists {META_SCHEMA}.load_log (
            load_id varchar, raw_table varchar, source_file varchar, file_checksum varchar,
            status varchar, rows_read bigint, rows_loaded bigint, rows_quarantined bigint,
            message varchar, loaded_at timestamp
        )"""
    )
    conn.execute(
        f"""
        create table if not exists {META_SCHEMA}.quarantine (
            load_id varchar, raw_table varchar, source_file varchar, file_checksum varchar,
            row_number bigint, line_number bigint, column_name varchar, reason varchar,
            raw_record varchar, quarantined_at timestamp
        )"""
    )


def raw_columns(spec: TableSpec) -> list[tuple[str, str]]:
    """The raw table's columns: canonical, precision markers, kept extras, load metadata."""
    return [
        *((c.name, RAW_TYPES[c.type]) for c in spec.columns),
        *((name, "VARCHAR") for name in spec.precision_columns),
        (EXTRA_COLUMN, "VARCHAR"),
        *METADATA_COLUMNS,
    ]


def ensure_raw_table(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    columns = raw_columns(spec)
    conn.execute(
        f"create table if not exists {RAW_SCHEMA}.{spec.raw_table} "
        f"({', '.join(f'{chr(34)}{name}{chr(34)} {kind}' for name, kind in columns)})"
    )
    # A warehouse built before a column was added to the raw schema gets it, empty for old rows.
    for name, kind in columns:
        conn.execute(f'alter table {RAW_SCHEMA}.{spec.raw_table} add column if not exists "{name}" {kind}')


def ingest_table(conn: duckdb.DuckDBPyConnection, spec: TableSpec, landing_dir: Path) -> list[FileReport]:
    """Load every file of one landing table; return one report per file."""
    ensure_schemas(conn)
    ensure_raw_table(conn, spec)
    if not spec.configured:
        return []
    files = sorted(p for p in Path(landing_dir).glob(spec.files) if p.is_file())
    return [ingest_file(conn, spec, path, Path(landing_dir)) for path in files]


def ingest_file(conn: duckdb.DuckDBPyConnection, spec: TableSpec, path: Path, landing_dir: Path) -> FileReport:
    relative = path.relative_to(landing_dir).as_posix()
    checksum = file_checksum(path)
    latest = dict(conn.execute(
        f"""select source_file, file_checksum from (
                select source_file, file_checksum,
                       row_number() over (partition by source_file order by loaded_at desc) as recency
                from {META_SCHEMA}.load_log where raw_table = ? and status in {LOADED}
            ) where recency = 1""",
        [spec.raw_table],
    ).fetchall())
    if latest.get(relative) == checksum:
        return FileReport(spec.raw_table, relative, checksum, "unchanged", message="already loaded")

    load_id = uuid.uuid4().hex
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    twin = next((name for name, digest in sorted(latest.items()) if digest == checksum and name != relative), None)
    if twin is not None or path.stat().st_size == 0:
        status = "duplicate" if twin is not None else "empty"
        message = (f"{relative}: same content as {twin}, which is loaded; not loaded twice" if twin
                   else f"{relative}: empty file (0 bytes), nothing to load")
        if relative in latest:
            message += "; the rows loaded before from this file are kept"
        report = FileReport(spec.raw_table, relative, checksum, status, message=message)
        _log(conn, load_id, report, loaded_at)
        return report

    report = FileReport(spec.raw_table, relative, checksum, "replaced" if relative in latest else "loaded")
    with tempfile.TemporaryDirectory(prefix="mot-ingest-") as scratch:
        try:
            staged = STAGERS[spec.format](conn, spec, path, Path(scratch))
        except FileRejected as exc:
            kept = "; the rows loaded before from this file are kept" if relative in latest else ""
            report.status, report.message = "rejected", f"{relative}: {exc}{kept}"
            _log(conn, load_id, report, loaded_at)
            return report
        report.extra_columns = staged.extra_columns
        report.message = f"{relative}: " + "; ".join(staged.notes) if staged.notes else ""
        conn.execute("begin transaction")
        try:
            conn.execute(f"delete from {RAW_SCHEMA}.{spec.raw_table} where _source_file = ?", [relative])
            conn.execute(
                f"delete from {META_SCHEMA}.quarantine where raw_table = ? and source_file = ?",
                [spec.raw_table, relative],
            )
            report.rows_read, report.rows_loaded, report.rows_quarantined = _load_typed(
                conn, spec, relative, checksum, load_id, loaded_at
            )
            if report.rows_read != report.rows_loaded + report.rows_quarantined:
                raise RuntimeError(f"{relative}: rows read != loaded + quarantined ({report})")
            _log(conn, load_id, report, loaded_at)
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
        finally:
            conn.execute("drop table if exists _landing")
    return report


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _log(conn, load_id: str, report: FileReport, loaded_at: datetime) -> None:
    conn.execute(
        f"insert into {META_SCHEMA}.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, report.raw_table, report.source_file, report.file_checksum, report.status,
         report.rows_read, report.rows_loaded, report.rows_quarantined, report.message, loaded_at],
    )


# -- pass 2: types ----------------------------------------------------------------------------

def _sql_list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _typed(column: ColumnSpec, spec: TableSpec) -> str:
    ref = f'"{column.name}"'
    if column.type == "timestamp":
        local = (f"coalesce(try_strptime({ref}, {_sql_list(spec.timestamp_formats)}), "
                 f"try_strptime({ref}, {_sql_list(spec.date_formats)}), try_cast({ref} as timestamp))")
        return (f"case when regexp_matches({ref}, '{OFFSET_PATTERN}') "
                f"then timezone('{spec.timezone}', try_cast({ref} as timestamptz)) else {local} end")
    if column.type == "date":
        return f"coalesce(cast(try_strptime({ref}, {_sql_list(spec.date_formats)}) as date), try_cast({ref} as date))"
    if column.type == "boolean":
        words = ", ".join(f"'{w}'" for w in TRUE_WORDS)
        return f"case when {ref} is null then null else lower({ref}) in ({words}) end"
    if column.type == "text":
        return ref
    return f"try_cast({ref} as {RAW_TYPES[column.type]})"


def _precision(column: ColumnSpec, spec: TableSpec) -> str:
    """'day' when the export gave a date alone (loaded as midnight), else 'second'."""
    ref = f'"{column.name}"'
    return (f"case when {ref} is null then null when try_strptime({ref}, {_sql_list(spec.date_formats)}) "
            f"is not null then 'day' else 'second' end")


def _failure(column: ColumnSpec, spec: TableSpec) -> str:
    """SQL that is a reason text when the column's value is unusable, else NULL."""
    ref = f'"{column.name}"'
    checks = []
    if column.required:
        checks.append(f"when {ref} is null then '{column.name}: required value is missing'")
    if column.type == "boolean":
        words = ", ".join(f"'{w}'" for w in BOOLEAN_WORDS)
        checks.append(f"when {ref} is not null and lower({ref}) not in ({words}) "
                      f"then '{column.name}: ''' || left({ref}, 80) || ''' is not a boolean'")
    elif column.type != "text":
        checks.append(f"when {ref} is not null and {_typed(column, spec)} is null "
                      f"then '{column.name}: ''' || left({ref}, 80) || ''' is not a valid {column.type}'")
    return f"case {' '.join(checks)} end" if checks else "null"


def _load_typed(conn, spec: TableSpec, relative: str, checksum: str, load_id: str,
                loaded_at: datetime) -> tuple[int, int, int]:
    """Move the staged rows of one file into quarantine or the raw table; return the counts."""
    failures = [_failure(c, spec) for c in spec.columns]
    first_column = " ".join(f"when ({f}) is not null then '{c.name}'" for c, f in zip(spec.columns, failures))
    conn.execute(
        f"""create or replace temp table _checked as
            select *,
                   coalesce(_structural, nullif(concat_ws('; ', {', '.join(failures)}), '')) as _reason,
                   case when _structural is null then case {first_column} end end as _column
            from _landing"""
    )
    conn.execute(
        f"""insert into {META_SCHEMA}.quarantine
            select ?, ?, ?, ?, cast(_row_number as bigint), cast(_line_number as bigint), _column,
                   _reason, _raw_record, ?
            from _checked where _reason is not null""",
        [load_id, spec.raw_table, relative, checksum, loaded_at],
    )
    typed = [_typed(c, spec) for c in spec.columns]
    typed += [_precision(c, spec) for c in spec.columns if c.type == "timestamp"]
    typed += [f'"{EXTRA_COLUMN}"', "?", "cast(_row_number as bigint)", "?", "?", "?", "?"]
    names = ", ".join(f'"{name}"' for name, _ in raw_columns(spec))
    conn.execute(
        f"""insert into {RAW_SCHEMA}.{spec.raw_table} ({names})
            select {', '.join(typed)}
            from _checked where _reason is null order by cast(_row_number as bigint)""",
        [relative, checksum, loaded_at, spec.timezone, load_id],
    )
    read, quarantined = conn.execute(
        "select count(*), count(*) filter (where _reason is not null) from _checked"
    ).fetchone()
    conn.execute("drop table _checked")
    return read, read - quarantined, quarantined
