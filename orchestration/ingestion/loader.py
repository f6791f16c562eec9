"""Landing files -> raw tables, losing nothing.

Each file is first staged as text in a temporary table, one row per data row of the file, with
its row and line number and, when the row's structure cannot be read, the reason:
- CSV: Python's csv module reads the records (quoted newlines, BOM, gzip) and numbers them; a row
  with the wrong field count or undecodable bytes is staged with its reason.
- JSON lines: DuckDB reads each line as text, in parallel; an invalid JSON line or bad encoding
  is staged with its reason; fields and GA4 event_params are extracted in SQL.
Then one vectorised pass checks every typed column: a row whose structure is bad, whose value
does not parse, or whose required value is missing goes to quarantine with the columns at fault.

A file is loaded in one transaction (its earlier rows, if its content changed, are replaced), so
rows read = rows loaded + rows quarantined holds for every file, and an unchanged file is a no-op.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
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
MAX_LINE_BYTES = 64 * 1024 * 1024

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
        try:
            _stage(conn, spec, path, Path(scratch))
        except FileRejected as exc:
            report.status, report.message = "rejected", f"{relative}: {exc}"
            _log(conn, load_id, report, loaded_at)
            return report
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


# -- pass 1: structure -> temp table _landing (text) ------------------------------------------

STAGED = ("_row_number", "_line_number", "_raw_record", "_structural")


def _stage(conn, spec: TableSpec, path: Path, scratch: Path) -> None:
    if spec.format == "csv":
        normalised = scratch / "rows.csv"
        _normalise_csv(spec, path, normalised)
        columns = ", ".join(f"'{c}': 'VARCHAR'" for c in (*STAGED, *_output_columns(spec)))
        conn.execute(
            f"""create or replace temp table _landing as
                select * from read_csv('{_sql_path(normalised)}', header = true, auto_detect = false,
                    columns = {{{columns}}}, delim = ',', quote = '"', escape = '"',
                    max_line_size = {MAX_LINE_BYTES})"""
        )
    else:
        _stage_ndjson(conn, spec, path)


def _output_columns(spec: TableSpec) -> list[str]:
    return [c.name for c in spec.columns] + ([spec.keep_json] if spec.keep_json else [])


@contextmanager
def _open_text(path: Path) -> Iterator:
    # surrogateescape keeps undecodable bytes visible, so a bad row is quarantined, not the file.
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        yield handle


def _has_bad_utf8(values) -> bool:
    return any(v and any("\udc80" <= ch <= "\udcff" for ch in v) for v in values)


def _normalise_csv(spec: TableSpec, path: Path, out: Path) -> None:
    """Write the file's records to `out` as text in the canonical column order, numbered."""
    with _open_text(path) as handle, open(out, "w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow([*STAGED, *_output_columns(spec)])
        records = csv.reader(handle)
        header = next(records, None)
        if header is None:
            raise FileRejected("the file is empty (no header row)")
        header = [h.strip() for h in header]
        positions = _header_positions(spec, header)
        width, blank = len(header), [""] * len(positions)
        rows_read = 0
        line_number = records.line_num + 1  # where the next record starts (it may span lines)
        for record in records:
            start, line_number = line_number, records.line_num + 1
            if not record:
                continue  # a blank line is not a row
            rows_read += 1
            raw = ",".join(record)[:RAW_RECORD_LIMIT]
            if _has_bad_utf8(record):
                clean = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                writer.writerow([rows_read, start, clean, "invalid UTF-8", *blank])
            elif len(record) != width:
                writer.writerow([rows_read, start, raw, f"expected {width} fields, found {len(record)}", *blank])
            else:
                values = [record[i].strip() if i is not None else "" for i in positions]
                writer.writerow([rows_read, start, raw, "", *values])


def _header_positions(spec: TableSpec, header: list[str]) -> list[int | None]:
    missing = [c for c in spec.columns if c.required and c.source not in header]
    if missing:
        names = ", ".join(f"{c.source!r} (-> {c.name})" for c in missing)
        raise FileRejected(
            f"required column(s) {names} not in the header; edit the mapping "
            f"sources.{spec.source}.tables.{spec.name}.columns in the source configuration"
        )
    return [header.index(c.source) if c.source in header else None for c in spec.columns]


GA4_PARAMS = "STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value VARCHAR, double_value VARCHAR, float_value VARCHAR))[]"
GA4_PARAMS_KEY = "event_params"


def _json_path(dotted: str) -> str:
    return "$." + ".".join('"' + part.replace('"', "").replace("'", "") + '"' for part in dotted.split("."))


def _stage_ndjson(conn, spec: TableSpec, path: Path) -> None:
    """JSON lines, read by DuckDB: the row number is the line number; a blank line is no row.

    Each line is parsed once (one json_extract_string over every path) and GA4's event_params
    list once, into key/value pairs that each `param:` column picks from.
    """
    paths = [_json_path(c.source) for c in spec.columns if not c.source.startswith("param:")]
    params_at = len(paths) + 1
    paths.append(_json_path(GA4_PARAMS_KEY))
    keep_at = len(paths) + 1
    if spec.keep_json:
        paths.append(_json_path(spec.keep_json))
    fields, at = [], 0
    for column in spec.columns:
        if column.source.startswith("param:"):
            key = column.source.removeprefix("param:").replace("'", "''")
            sql = f"list_filter(_params, p -> p.k = '{key}')[1].v"
        else:
            at += 1
            sql = f"_fields[{at}]"
        fields.append(f'nullif(trim({sql}), \'\') as "{column.name}"')
    if spec.keep_json:
        fields.append(f'_fields[{keep_at}] as "{spec.keep_json}"')
    path_list = ", ".join(f"'{p}'" for p in paths)

    conn.execute("drop table if exists _line_rejects")
    conn.execute("drop table if exists _line_reject_scans")
    conn.execute(
        f"""create or replace temp table _lines as
            select ordinality as _ordinal, line
            from read_csv('{_sql_path(path)}', columns = {{'line': 'VARCHAR'}}, header = false,
                 auto_detect = false, delim = '\x01', quote = '', escape = '', max_line_size = {MAX_LINE_BYTES},
                 store_rejects = true, rejects_table = '_line_rejects', rejects_scan = '_line_reject_scans')
            with ordinality"""
    )
    # A line DuckDB could not read (bad encoding) is missing from _lines: shift the ordinals after it.
    unreadable = conn.execute("select count(*) from _line_rejects").fetchone()[0]
    line_number = (
        "_ordinal + (select count(*) from rejected r where r.line - r.nth < _ordinal)" if unreadable else "_ordinal"
    )
    conn.execute(
        f"""create or replace temp table _landing as
            with rejected as (
                select line, row_number() over (order by line) as nth from _line_rejects
            ), numbered as (
                select {line_number} as _line_number, line
                from _lines where line is not null and trim(line) <> ''
            ), parsed as (
                select _line_number, line,
                       case when not json_valid(line) then 'invalid JSON'
                            when json_type(line) <> 'OBJECT' then 'a JSON line is not an object' end as _structural
                from numbered
            ), extracted as (
                select *, case when _structural is null then json_extract_string(line, [{path_list}]) end as _fields
                from parsed
            ), with_params as (
                select *,
                       list_transform(try_cast(_fields[{params_at}] as {GA4_PARAMS}), p -> {{
                           'k': p.key,
                           'v': coalesce(p.value.string_value, p.value.int_value, p.value.double_value, p.value.float_value)
                       }}) as _params
                from extracted
            )
            select cast(_line_number as varchar) as _row_number, cast(_line_number as varchar) as _line_number,
                   left(line, {RAW_RECORD_LIMIT}) as _raw_record, _structural, {', '.join(fields)}
            from with_params
            union all
            select cast(line as varchar), cast(line as varchar), left(csv_line, {RAW_RECORD_LIMIT}),
                   'unreadable line: ' || error_message, {', '.join(['null'] * len(fields))}
            from _line_rejects"""
    )
    conn.execute("drop table _lines")


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


def _load_typed(conn, spec: TableSpec, relative: str, checksum: str, load_id: str,
                loaded_at: datetime) -> tuple[int, int, int]:
    """Move the staged rows of one file into quarantine or the raw table; return the counts."""
    failures = [_failure(c) for c in spec.columns]
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
    typed = [f'{_typed(c)} as "{c.name}"' for c in spec.columns]
    if spec.keep_json:
        typed.append(f'"{spec.keep_json}"')
    conn.execute(
        f"""insert into {RAW_SCHEMA}.{spec.raw_table}
            select {', '.join(typed)}, ?, cast(_row_number as bigint), ?, ?, ?, ?
            from _checked where _reason is null order by cast(_row_number as bigint)""",
        [relative, checksum, loaded_at, spec.timezone, load_id],
    )
    read, quarantined = conn.execute(
        "select count(*), count(*) filter (where _reason is not null) from _checked"
    ).fetchone()
    conn.execute("drop table _checked")
    return read, read - quarantined, quarantined


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
