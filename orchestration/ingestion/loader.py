"""Landing files -> raw tables, losing nothing.

Files are first staged (csv_staging, json_staging) into a query over their rows, as text: one row
per data row, with its file, row and line number and, when the row's structure cannot be read, the
reason; the canonical columns are already mapped. One vectorised pass over that query checks every
typed column: a row whose structure is bad, whose value does not parse, or whose required value is
missing goes to quarantine with the columns at fault (and its raw record); the others go to the
raw table.

A load is one transaction (a file's earlier rows, if its content changed, are replaced), so rows
read = rows loaded + rows quarantined holds for every file; an unchanged file is a no-op, a file
whose content was already loaded under another name is not loaded twice, and a file that is
rejected or empty leaves whatever was loaded before untouched. JSON lines shards are loaded many
files per transaction, CSV and Parquet files one per transaction.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .config import RAW_TYPES, ColumnSpec, TableSpec
from .csv_staging import stage_csv
from .json_staging import stage_ndjson, stage_parquet
from .staging import EXTRA_COLUMN, RAW_RECORD_LIMIT, StagedBatch, file_facts

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
BATCH_BYTES = 1 << 30
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
    return ingest_files(conn, spec, files, Path(landing_dir))


def ingest_files(conn: duckdb.DuckDBPyConnection, spec: TableSpec, paths: list[Path],
                 landing_dir: Path) -> list[FileReport]:
    """Load these files of one table (in this order); return one report per file.

    JSON lines files are staged and loaded together, up to BATCH_BYTES at a time, in one transaction
    (a daily-sharded export is many small files: per-file statements would cost more than the data);
    a CSV or Parquet file is staged alone.
    """
    if not paths:
        return []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # hashlib releases the GIL
        facts = list(pool.map(file_facts, paths))
    checksums = [checksum for checksum, _ in facts]
    line_counts = {path: lines for path, (_, lines) in zip(paths, facts)}
    latest = dict(conn.execute(
        f"""select source_file, file_checksum from (
                select source_file, file_checksum,
                       row_number() over (partition by source_file order by loaded_at desc) as recency
                from {META_SCHEMA}.load_log where raw_table = ? and status in {LOADED}
            ) where recency = 1""",
        [spec.raw_table],
    ).fetchall())
    reports: list[FileReport] = []
    pending: list[tuple[Path, FileReport]] = []
    in_this_load: dict[str, str] = {}  # checksum -> file, for twins delivered together
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    for path, checksum in zip(paths, checksums):
        relative = path.relative_to(landing_dir).as_posix()
        if latest.get(relative) == checksum:
            reports.append(FileReport(spec.raw_table, relative, checksum, "unchanged", message="already loaded"))
            continue
        twin = next((name for name, digest in sorted(latest.items()) if digest == checksum and name != relative),
                    None) or in_this_load.get(checksum)
        if twin is not None or path.stat().st_size == 0:
            status = "duplicate" if twin is not None else "empty"
            message = (f"{relative}: same content as {twin}, which is loaded; not loaded twice" if twin
                       else f"{relative}: empty file (0 bytes), nothing to load")
            if relative in latest:
                message += "; the rows loaded before from this file are kept"
            report = FileReport(spec.raw_table, relative, checksum, status, message=message)
            _log(conn, uuid.uuid4().hex, report, loaded_at)
            reports.append(report)
            continue
        in_this_load[checksum] = relative
        report = FileReport(spec.raw_table, relative, checksum, "replaced" if relative in latest else "loaded")
        pending.append((path, report))
        reports.append(report)
    for batch in _batches(pending, spec.format):
        _load_batch(conn, spec, batch, latest, line_counts)
    return reports


def _batches(pending: list[tuple[Path, FileReport]], file_format: str) -> list[list[tuple[Path, FileReport]]]:
    """JSON lines files together, up to BATCH_BYTES of them (their lines are held while parsed); others alone."""
    if file_format != "ndjson":
        return [[item] for item in pending]
    batches: list[list[tuple[Path, FileReport]]] = []
    size = BATCH_BYTES
    for path, report in pending:
        length = path.stat().st_size
        if size + length > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append((path, report))
        size += length
    return batches


def _load_batch(conn, spec: TableSpec, batch: list[tuple[Path, FileReport]], latest: dict[str, str],
                line_counts: dict[Path, int]) -> None:
    """Stage, check and load files in one transaction; fill in their reports."""
    load_id = uuid.uuid4().hex
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    reports = {report.source_file: report for _, report in batch}
    with tempfile.TemporaryDirectory(prefix="mot-ingest-") as scratch:
        staged = STAGERS[spec.format](conn, spec, [(path, report.source_file) for path, report in batch],
                                      Path(scratch), line_counts=line_counts)
        try:
            for relative, reason in staged.rejected.items():
                kept = "; the rows loaded before from this file are kept" if relative in latest else ""
                report = reports.pop(relative)
                report.status, report.message = "rejected", f"{relative}: {reason}{kept}"
                _log(conn, load_id, report, loaded_at)
            if not reports:
                return
            for relative, report in reports.items():
                notes = staged.notes.get(relative, [])
                report.extra_columns = staged.extra_columns.get(relative, [])
                report.message = f"{relative}: " + "; ".join(notes) if notes else ""
            conn.execute("begin transaction")
            try:
                files = list(reports)
                conn.execute(f"delete from {RAW_SCHEMA}.{spec.raw_table} where list_contains(?, _source_file)",
                             [files])
                conn.execute(
                    f"delete from {META_SCHEMA}.quarantine where raw_table = ? and list_contains(?, source_file)",
                    [spec.raw_table, files],
                )
                counts = _load_typed(conn, spec, staged, {r: reports[r].file_checksum for r in files},
                                     load_id, loaded_at)
                for relative, report in reports.items():
                    report.rows_read, report.rows_loaded, report.rows_quarantined = counts.get(relative, (0, 0, 0))
                    if report.rows_read != report.rows_loaded + report.rows_quarantined:
                        raise RuntimeError(f"{relative}: rows read != loaded + quarantined ({report})")
                    _log(conn, load_id, report, loaded_at)
                conn.execute("commit")
            except BaseException:
                conn.execute("rollback")
                raise
        finally:
            for statement in staged.cleanup:
                conn.execute(statement)
            conn.execute("drop table if exists _checked")


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


def _load_typed(conn, spec: TableSpec, staged: StagedBatch, checksums: dict[str, str], load_id: str,
                loaded_at: datetime) -> dict[str, tuple[int, int, int]]:
    """Check the staged rows in one pass, then move them into quarantine or the raw table; return
    (read, loaded, quarantined) per file. Only a quarantined row keeps its raw record."""
    failures = [_failure(c, spec) for c in spec.columns]
    first_column = " ".join(f"when ({f}) is not null then '{c.name}'" for c, f in zip(spec.columns, failures))
    conn.execute(
        f"""create or replace temp table _checked as
            with staged as ({staged.query}),
            reasoned as (
                select *,
                       coalesce(_structural, nullif(concat_ws('; ', {', '.join(failures)}), '')) as _reason,
                       case when _structural is null then case {first_column} end end as _column
                from staged
            )
            select * replace (case when _reason is not null then left(_raw_record, {RAW_RECORD_LIMIT}) end
                              as _raw_record)
            from reasoned"""
    )
    for step in staged.after:
        step(conn)
    files = _sql_list(checksums)
    digests = _sql_list(checksums.values())
    checksum = f"map_from_entries(list_zip({files}, {digests}))[_source_file]"
    conn.execute(
        f"""insert into {META_SCHEMA}.quarantine
            select ?, ?, _source_file, {checksum}, cast(_row_number as bigint), cast(_line_number as bigint),
                   _column, _reason, _raw_record, ?
            from _checked where _reason is not null""",
        [load_id, spec.raw_table, loaded_at],
    )
    typed = [_typed(c, spec) for c in spec.columns]
    typed += [_precision(c, spec) for c in spec.columns if c.type == "timestamp"]
    typed += [f'"{EXTRA_COLUMN}"', "_source_file", "cast(_row_number as bigint)", checksum, "?", "?", "?"]
    names = ", ".join(f'"{name}"' for name, _ in raw_columns(spec))
    # Rows arrive in file and row order (DuckDB preserves insertion order): no sort needed.
    conn.execute(
        f"""insert into {RAW_SCHEMA}.{spec.raw_table} ({names})
            select {', '.join(typed)}
            from _checked where _reason is null""",
        [loaded_at, spec.timezone, load_id],
    )
    return {
        relative: (read, read - quarantined, quarantined)
        for relative, read, quarantined in conn.execute(
            "select _source_file, count(*), count(*) filter (where _reason is not null) from _checked group by 1"
        ).fetchall()
    }
