"""Landing files -> raw tables, losing nothing.

Each file goes through two passes:
1. Python reads the file's structure (CSV records, JSON lines) and numbers its data rows; a row
   that cannot be read (wrong field count, invalid JSON, bad UTF-8) is quarantined here. The
   rest is written, still as text, to a normalised CSV in the canonical column order.
2. DuckDB reads that CSV and checks every typed column in one vectorised pass; a row with a value
   that does not parse, or a required value missing, is quarantined with the columns at fault.

A file is loaded in one transaction (its earlier rows, if its content changed, are replaced), so
rows read = rows loaded + rows quarantined holds for every file, and an unchanged file is a no-op.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import sys
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb

from .config import RAW_TYPES, ColumnSpec, TableSpec

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
TIMESTAMP_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ"]
TRUE_WORDS = ("true", "t", "1", "yes", "y")
BOOLEAN_WORDS = TRUE_WORDS + ("false", "f", "0", "no", "n")
RAW_RECORD_LIMIT = 2000

csv.field_size_limit(sys.maxsize)


class FileRejected(Exception):
    """The whole file cannot be loaded (e.g. a required column is missing from its header)."""


@dataclass
class FileReport:
    raw_table: str
    source_file: str
    file_checksum: str
    status: str  # loaded | replaced | unchanged | rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _RejectedRow:
    row_number: int
    line_number: int
    column_name: str | None
    reason: str
    raw_record: str


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


def ensure_raw_table(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    columns = [f'"{c.name}" {RAW_TYPES[c.type]}' for c in spec.columns]
    if spec.keep_json:
        columns.append(f'"{spec.keep_json}" VARCHAR')
    columns += [f"{name} {kind}" for name, kind in METADATA_COLUMNS]
    conn.execute(f"create table if not exists {RAW_SCHEMA}.{spec.raw_table} ({', '.join(columns)})")


def ingest_table(conn: duckdb.DuckDBPyConnection, spec: TableSpec, landing_dir: Path) -> list[FileReport]:
    """Load every file of one landing table; return one report per file."""
    ensure_schemas(conn)
    ensure_raw_table(conn, spec)
    files = sorted(p for p in Path(landing_dir).glob(spec.files) if p.is_file())
    return [ingest_file(conn, spec, path, Path(landing_dir)) for path in files]


def ingest_file(conn: duckdb.DuckDBPyConnection, spec: TableSpec, path: Path, landing_dir: Path) -> FileReport:
    relative = path.relative_to(landing_dir).as_posix()
    checksum = file_checksum(path)
    previous = conn.execute(
        f"""select file_checksum from {META_SCHEMA}.load_log
            where raw_table = ? and source_file = ? and status in ('loaded', 'replaced')
            order by loaded_at desc limit 1""",
        [spec.raw_table, relative],
    ).fetchone()
    if previous and previous[0] == checksum:
        return FileReport(spec.raw_table, relative, checksum, "unchanged", message="already loaded")

    report = FileReport(spec.raw_table, relative, checksum, "replaced" if previous else "loaded")
    load_id = uuid.uuid4().hex
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    with tempfile.TemporaryDirectory(prefix="mot-ingest-") as scratch:
        normalised = Path(scratch) / "rows.csv"
        try:
            rejected, rows_read = _normalise(spec, path, normalised)
        except FileRejected as exc:
            report.status, report.message = "rejected", f"{relative}: {exc}"
            _log(conn, load_id, report, loaded_at)
            return report
        report.rows_read = rows_read
        conn.execute("begin transaction")
        try:
            conn.execute(f"delete from {RAW_SCHEMA}.{spec.raw_table} where _source_file = ?", [relative])
            conn.execute(
                f"delete from {META_SCHEMA}.quarantine where raw_table = ? and source_file = ?",
                [spec.raw_table, relative],
            )
            _quarantine_rows(conn, spec, relative, checksum, load_id, loaded_at, rejected)
            report.rows_quarantined, report.rows_loaded = _load_typed(
                conn, spec, normalised, relative, checksum, load_id, loaded_at
            )
            report.rows_quarantined += len(rejected)
            if report.rows_read != report.rows_loaded + report.rows_quarantined:
                raise RuntimeError(f"{relative}: rows read != loaded + quarantined ({report})")
            _log(conn, load_id, report, loaded_at)
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
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


# -- pass 1: structure ------------------------------------------------------------------------

@contextmanager
def _open_text(path: Path) -> Iterator:
    # surrogateescape keeps undecodable bytes visible, so a bad row is quarantined, not the file.
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        yield handle


def _has_bad_utf8(values) -> bool:
    return any(v and any("\udc80" <= ch <= "\udcff" for ch in v) for v in values)


def _normalise(spec: TableSpec, path: Path, out: Path) -> tuple[list[_RejectedRow], int]:
    reader = _normalise_csv if spec.format == "csv" else _normalise_ndjson
    with open(out, "w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
        writer = csv.writer(handle)
        writer.writerow(["_row_number", "_line_number", "_raw_record", *_output_columns(spec)])
        return reader(spec, path, writer)


def _output_columns(spec: TableSpec) -> list[str]:
    return [c.name for c in spec.columns] + ([spec.keep_json] if spec.keep_json else [])


def _normalise_csv(spec: TableSpec, path: Path, writer) -> tuple[list[_RejectedRow], int]:
    rejected: list[_RejectedRow] = []
    rows_read = 0
    with _open_text(path) as handle:
        records = csv.reader(handle)
        header = next(records, None)
        if header is None:
            raise FileRejected("the file is empty (no header row)")
        header = [h.strip() for h in header]
        positions = _header_positions(spec, header)
        width = len(header)
        line_number = records.line_num + 1  # where the next record starts (it may span lines)
        for record in records:
            start, line_number = line_number, records.line_num + 1
            if not record:
                continue  # a blank line is not a row
            rows_read += 1
            raw = ",".join(record)[:RAW_RECORD_LIMIT]
            if len(record) != width:
                rejected.append(_RejectedRow(rows_read, start, None, f"expected {width} fields, found {len(record)}", raw))
                continue
            if _has_bad_utf8(record):
                rejected.append(_RejectedRow(rows_read, start, None, "invalid UTF-8", raw))
                continue
            values = [record[i].strip() if i is not None else "" for i in positions]
            writer.writerow([rows_read, start, raw, *values])
    return rejected, rows_read


def _header_positions(spec: TableSpec, header: list[str]) -> list[int | None]:
    missing = [c for c in spec.columns if c.required and c.source not in header]
    if missing:
        names = ", ".join(f"{c.source!r} (-> {c.name})" for c in missing)
        raise FileRejected(
            f"required column(s) {names} not in the header; edit the mapping "
            f"sources.{spec.source}.tables.{spec.name}.columns in the source configuration"
        )
    return [header.index(c.source) if c.source in header else None for c in spec.columns]


def _normalise_ndjson(spec: TableSpec, path: Path, writer) -> tuple[list[_RejectedRow], int]:
    rejected: list[_RejectedRow] = []
    rows_read = 0
    with _open_text(path) as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            rows_read += 1
            raw = line.rstrip("\r\n")[:RAW_RECORD_LIMIT]
            if _has_bad_utf8([line]):
                rejected.append(_RejectedRow(rows_read, line_number, None, "invalid UTF-8", raw))
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                rejected.append(_RejectedRow(rows_read, line_number, None, f"invalid JSON: {exc.msg}", raw))
                continue
            if not isinstance(record, dict):
                rejected.append(_RejectedRow(rows_read, line_number, None, "a JSON line is not an object", raw))
                continue
            values = [_as_text(_extract(record, c)) for c in spec.columns]
            if spec.keep_json:
                values.append(json.dumps(record.get(spec.keep_json), separators=(",", ":")))
            writer.writerow([rows_read, line_number, raw, *values])
    return rejected, rows_read


def _extract(record: dict, column: ColumnSpec):
    if column.source.startswith("param:"):
        key = column.source.removeprefix("param:")
        for param in record.get("event_params") or []:
            if isinstance(param, dict) and param.get("key") == key:
                value = param.get("value") or {}
                for kind in ("string_value", "int_value", "double_value", "float_value"):
                    if value.get(kind) is not None:
                        return value[kind]
        return None
    value = record
    for part in column.source.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value).strip()


# -- pass 2: types ----------------------------------------------------------------------------

def _typed(column: ColumnSpec) -> str:
    ref = f'"{column.name}"'
    if column.type == "timestamp":
        formats = ", ".join(f"'{f}'" for f in TIMESTAMP_FORMATS)
        return f"coalesce(try_strptime({ref}, [{formats}]), try_cast({ref} as timestamp))"
    if column.type == "boolean":
        words = ", ".join(f"'{w}'" for w in TRUE_WORDS)
        return f"case when {ref} is null then null else lower({ref}) in ({words}) end"
    if column.type == "text":
        return ref
    return f"try_cast({ref} as {RAW_TYPES[column.type]})"


def _failure(column: ColumnSpec) -> str:
    """SQL that is a reason text when the column's value is unusable, else NULL."""
    ref = f'"{column.name}"'
    checks = []
    if column.required:
        checks.append(f"when {ref} is null then '{column.name}: required value is missing'")
    if column.type == "boolean":
        words = ", ".join(f"'{w}'" for w in BOOLEAN_WORDS)
        checks.append(f"when {ref} is not null and lower({ref}) not in ({words}) "
                      f"then '{column.name}: ''' || {ref} || ''' is not a boolean'")
    elif column.type != "text":
        checks.append(f"when {ref} is not null and {_typed(column)} is null "
                      f"then '{column.name}: ''' || left({ref}, 80) || ''' is not a valid {column.type}'")
    return f"case {' '.join(checks)} end" if checks else "null"


def _load_typed(conn, spec: TableSpec, normalised: Path, relative: str, checksum: str,
                load_id: str, loaded_at: datetime) -> tuple[int, int]:
    text_columns = ["_row_number", "_line_number", "_raw_record", *_output_columns(spec)]
    column_types = ", ".join(f"'{c}': 'VARCHAR'" for c in text_columns)
    conn.execute(
        f"""create or replace temp table _landing as
            select * from read_csv('{_sql_path(normalised)}', header = true, auto_detect = false,
                columns = {{{column_types}}}, delim = ',', quote = '"', escape = '"',
                max_line_size = 67108864)"""
    )
    failures = [_failure(c) for c in spec.columns]
    first_column = " ".join(f"when ({f}) is not null then '{c.name}'" for c, f in zip(spec.columns, failures))
    conn.execute(
        f"""create or replace temp table _checked as
            select *, nullif(concat_ws('; ', {', '.join(failures)}), '') as _reason,
                   case {first_column} end as _column
            from _landing"""
    )
    conn.execute(
        f"""insert into {META_SCHEMA}.quarantine
            select ?, ?, ?, ?, cast(_row_number as bigint), cast(_line_number as bigint), _column,
                   _reason, _raw_record, ?
            from _checked where _reason is not null""",
        [load_id, spec.raw_table, relative, checksum, loaded_at],
    )
    typed = [f'{_typed(c)} as "{c.name}"' for c in spec.columns]
    if spec.keep_json:
        typed.append(f'"{spec.keep_json}"')
    conn.execute(
        f"""insert into {RAW_SCHEMA}.{spec.raw_table}
            select {', '.join(typed)}, ?, cast(_row_number as bigint), ?, ?, ?, ?
            from _checked where _reason is null order by cast(_row_number as bigint)""",
        [relative, checksum, loaded_at, spec.timezone, load_id],
    )
    quarantined, loaded = conn.execute(
        "select count(*) filter (where _reason is not null), count(*) filter (where _reason is null) from _checked"
    ).fetchone()
    conn.execute("drop table _landing")
    conn.execute("drop table _checked")
    return quarantined, loaded


def _quarantine_rows(conn, spec: TableSpec, relative: str, checksum: str, load_id: str,
                     loaded_at: datetime, rows: list[_RejectedRow]) -> None:
    if rows:
        conn.executemany(
            f"insert into {META_SCHEMA}.quarantine values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[load_id, spec.raw_table, relative, checksum, r.row_number, r.line_number, r.column_name,
              r.reason, r.raw_record.encode("utf-8", "replace").decode("utf-8"), loaded_at] for r in rows],
        )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
