"""Landing files -> raw tables, losing nothing.

Files are first staged (csv_staging, json_staging) into a query over their rows, as text: one row
per data row, with its file, row and line number and, when the row's structure cannot be read, the
reason; the canonical columns are already mapped. One vectorised pass over that query checks every
typed column: a row whose structure is bad, whose value does not parse, or whose required value is
missing, or whose enumerated value is not a canonical code, goes to quarantine with the columns at
fault (and its raw record); a row the mapping's `where:` excludes is skipped (counted only); the
others go to the raw table.

A table may have several mappings (a list in the configuration); each loads its files on its own,
and the mapping's name is part of the load identity (raw `_mapping`, load_log and quarantine
`mapping`), so two mappings of one file never replace or "duplicate" each other's rows.

A load is one transaction (a file's earlier rows, if its content changed, are replaced), so rows
read = rows loaded + rows quarantined + rows skipped holds for every file; an unchanged file is a
no-op, a file
whose content was already loaded under another name is not loaded twice, and a file that is
rejected or empty leaves whatever was loaded before untouched. JSON lines shards are loaded many
files per transaction, CSV and Parquet files one per transaction.
"""

from __future__ import annotations

import hashlib
import json
import errno
import os
import re
import tempfile
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .config import RAW_TYPES, ColumnSpec, TableSpec
from .csv_staging import CsvStager, csv_header, same_name
from .json_staging import NdjsonStager, ParquetStager, parquet_fields
from .staging import (EXTRA_COLUMN, RAW_RECORD_LIMIT, SKIP_COLUMN, Scratch, StagedBatch, Stager, file_facts,
                      gzip_problem, sql_text, unknown_names)

RAW_SCHEMA = "raw"
META_SCHEMA = "ingest"
METADATA_COLUMNS = (
    ("_source_file", "VARCHAR"),
    ("_row_number", "BIGINT"),
    ("_file_checksum", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
    ("_source_timezone", "VARCHAR"),
    ("_load_id", "VARCHAR"),
    ("_mapping", "VARCHAR"),  # the mapping's name when the table has several, else NULL
)
# Columns added to ingest.load_log / ingest.quarantine after their first release: added in place
# (`add column if not exists`) so a warehouse built before keeps working.
LOAD_LOG_ADDED = (("rows_skipped", "BIGINT"), ("rows_duplicate_id", "BIGINT"), ("mapping", "VARCHAR"),
                  ("mapping_fingerprint", "VARCHAR"), ("file_identity", "VARCHAR"))
QUARANTINE_ADDED = (("mapping", "VARCHAR"),)
# Header readers for the column-name check; JSON lines have none (a NULL field is left out of a record).
HEADERS = {"csv": lambda conn, spec, path: csv_header(spec, path), "parquet": parquet_fields}
TRUE_WORDS = ("true", "t", "1", "yes", "y")
BOOLEAN_WORDS = TRUE_WORDS + ("false", "f", "0", "no", "n")
LOADED = ("loaded", "replaced")
WITHDRAWN = "withdrawn"
UNDECODABLE = "invalid UTF-8"  # the CSV stager's structural reason for a row whose bytes are not UTF-8  # the file left the table: its rows left raw
# JSON lines files loaded in one statement: their lines are held as text while parsed, and not all of
# that memory is DuckDB's buffer-managed (memory_limit) share. 1 GiB batches took `mot run` to 5.3 GB
# at 100x (3 GB limit); 256 MiB held 1.04 GiB against 2.77 GiB on ten 100x shards, 5 % slower.
BATCH_BYTES = 256 << 20
STAGERS: dict[str, Stager] = {"csv": CsvStager(), "ndjson": NdjsonStager(), "parquet": ParquetStager()}
CHECKED = "_checked"  # the loader's table of staged rows with their verdicts, for one batch
# An ISO timestamp that carries its own offset is converted to the source's local time, so that
# staging's one conversion (source time zone -> UTC) is right for every row.
OFFSET_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*(Z|[+-]\d{2}(:?\d{2})?)$"
OFFSET_PARTS = r"([+-])(\d{2}):?(\d{2})?$"
MAX_OFFSET_MINUTES = 14 * 60  # the widest offset in use (Kiribati, +14:00); -12:00 is the lowest
HOUR_24 = r"(^|[T ])24:\d{2}"
DECIMAL_INTEGER = r"[+-]?[0-9]+"
NOT_DECIMAL = r"(?i)^[+-]?(0x|nan|inf)|_"  # what a double cast reads but an export never means as a number


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
    rows_skipped: int = 0  # excluded by the mapping's `where:`
    rows_duplicate_id: int = 0  # loaded rows whose declared id an earlier row of the file has
    mapping: str | None = None  # the mapping's name when the table has several
    mapping_fingerprint: str | None = None  # what the file was loaded with (see mapping_fingerprint)
    file_identity: str | None = None  # the file as the file system saw it before the read (see _identity)

    def as_dict(self) -> dict:
        return asdict(self)


def mapping_fingerprint(spec: TableSpec) -> str:
    """A digest of everything in a mapping that changes the rows a file loads as (columns, value
    maps, formats, time zone, where, CSV options); not its glob, origin or descriptions. A file is
    loaded again when this changes, so the raw tables follow the files and the configuration, not
    the history of earlier configurations."""
    def without_descriptions(value):
        if isinstance(value, dict):
            return {k: without_descriptions(v) for k, v in value.items() if k != "description"}
        if isinstance(value, (list, tuple)):
            return [without_descriptions(v) for v in value]
        return value

    shape = asdict(replace(spec, files="", origin="", alternatives=(), delivery="append"))
    text = json.dumps(without_descriptions(shape), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
    for name, kind in LOAD_LOG_ADDED:
        conn.execute(f"alter table {META_SCHEMA}.load_log add column if not exists {name} {kind}")
    for name, kind in QUARANTINE_ADDED:
        conn.execute(f"alter table {META_SCHEMA}.quarantine add column if not exists {name} {kind}")


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


def ingest_table(conn: duckdb.DuckDBPyConnection, spec: TableSpec, landing_dir: Path, *,
                 settle_seconds: float = 0.0) -> list[FileReport]:
    """Load every file of one landing table; return one report per file."""
    ensure_schemas(conn)
    ensure_raw_table(conn, spec)
    if not spec.configured:
        return []
    return ingest_files(conn, spec, spec.landing_files(Path(landing_dir)), Path(landing_dir),
                        settle_seconds=settle_seconds)


def ingest_files(conn: duckdb.DuckDBPyConnection, spec: TableSpec, paths: list[Path],
                 landing_dir: Path, *, settle_seconds: float = 0.0) -> list[FileReport]:
    """Load these files of one table (in this order); return one report per file.

    JSON lines files are staged and loaded together, up to BATCH_BYTES at a time, in one transaction
    (a daily-sharded export is many small files: per-file statements would cost more than the data);
    a CSV or Parquet file is staged alone. A table with several mappings loads each mapping's
    share of `paths` (the files its `files:` glob matches) in turn.

    Whole files or nothing: a file modified less than `settle_seconds` ago (it may still be being
    written), a gzip file that is cut short or corrupt, or a file whose size or modification time
    changed while it was read, is rejected with its reason; what it loaded before stays.

    What the table's globs match but cannot be read (a link out of the landing folder, a dangling
    or looping link, a name that is not UTF-8) gets a `rejected` load_log line naming the mapping
    key, and a directory a `skipped` one; the other files load all the same.
    """
    landing_dir = Path(landing_dir)
    reports = _odd_entries(conn, spec, landing_dir)
    for mapping in spec.mappings:
        present = mapping.landing_files(landing_dir)
        current, superseded = current_delivery(mapping, present)
        # withdrawn first: a file whose twin was withdrawn is no duplicate any more, and loads now
        reports += _withdraw(conn, mapping, current, superseded, landing_dir)
        reports += _ingest_mapping(conn, mapping, [p for p in paths if p in set(current)], landing_dir, settle_seconds)
    return reports


def current_delivery(spec: TableSpec, present: list[Path]) -> tuple[list[Path], list[Path]]:
    """The files of one mapping that make the table now, and those a newer snapshot superseded."""
    if spec.delivery != "snapshot" or len(present) < 2:
        return present, []

    def age(path: Path):
        dated = re.search(r"(\d{4})-?(\d{2})-?(\d{2})", path.name)
        return (dated.groups() if dated else ("",), path.stat().st_mtime_ns, path.name)

    newest = max(present, key=age)
    return [newest], [p for p in present if p != newest]


def _withdraw(conn, spec: TableSpec, current: list[Path], superseded: list[Path], landing_dir: Path) -> list[FileReport]:
    """Rows of files that are no longer part of the table (gone from the landing folder, or
    superseded by a newer snapshot) leave raw and quarantine, one load_log line per file. A mapping
    that matches no file at all keeps its rows: an empty or unmounted folder is not a withdrawal."""
    if not current:
        return []
    keep = [p.relative_to(landing_dir).as_posix() for p in current]
    newer = {p.relative_to(landing_dir).as_posix() for p in superseded}
    held = dict(conn.execute(
        f"""select _source_file, count(*) from {RAW_SCHEMA}.{spec.raw_table}
            where _mapping is not distinct from ? and not list_contains(?, _source_file) group by 1""",
        [spec.mapping_name, keep]).fetchall())
    held.update({f: held.get(f, 0) for (f,) in conn.execute(
        f"""select distinct source_file from {META_SCHEMA}.quarantine where raw_table = ?
            and mapping is not distinct from ? and not list_contains(?, source_file)""",
        [spec.raw_table, spec.mapping_name, keep]).fetchall()})
    if not held:
        return []
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    reports = []
    conn.execute("begin transaction")
    try:
        for relative, rows in sorted(held.items()):
            conn.execute(f"delete from {RAW_SCHEMA}.{spec.raw_table} where _source_file = ? "
                         f"and _mapping is not distinct from ?", [relative, spec.mapping_name])
            conn.execute(f"delete from {META_SCHEMA}.quarantine where raw_table = ? and source_file = ? "
                         f"and mapping is not distinct from ?", [spec.raw_table, relative, spec.mapping_name])
            why = (f"superseded by the newer snapshot {keep[0]} (delivery: snapshot of {spec.key})" if relative in newer
                   else f"no longer in the landing folder (matched by files: {spec.files!r} of {spec.key})")
            report = FileReport(spec.raw_table, relative, "", WITHDRAWN, message=f"{relative}: {why}: its {rows} "
                                f"row(s) left raw", mapping=spec.mapping_name)
            _log(conn, uuid.uuid4().hex, report, loaded_at)
            reports.append(report)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return reports


def _record_identity(conn, spec: TableSpec, source_file: str, identity: str) -> None:
    """The file's identity on its latest load's line, once the same bytes were found under a new one."""
    conn.execute(
        f"""update {META_SCHEMA}.load_log set file_identity = ?
            where raw_table = ? and mapping is not distinct from ? and source_file = ? and loaded_at = (
                select max(loaded_at) from {META_SCHEMA}.load_log
                where raw_table = ? and mapping is not distinct from ? and source_file = ?
                    and status in {LOADED + (WITHDRAWN,)}) and status in {LOADED}""",
        [identity, spec.raw_table, spec.mapping_name, source_file, spec.raw_table, spec.mapping_name, source_file],
    )


def _odd_entries(conn, spec: TableSpec, landing_dir: Path) -> list[FileReport]:
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    reports = []
    for name, why, refused in spec.odd_entries(landing_dir):
        report = FileReport(spec.raw_table, name, "", "rejected" if refused else "skipped", message=f"{name}: {why}",
                            mapping=spec.mapping_name)
        _log(conn, uuid.uuid4().hex, report, loaded_at)
        reports.append(report)
    return reports


def _stat_key(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def _identity(status: os.stat_result) -> str:
    """The file as the file system sees it: size, modification and change times, inode. A file
    whose identity is the one recorded when it was loaded has not been written since, so it is not
    read (hashed) again: with half a year of daily shards that read is most of a night that brings
    one new day. The change time (ctime) cannot be set back by touch, cp -p or rsync -t, and a file
    replaced by another gets a new inode; rewriting a file in place with the same size within the
    same clock tick is the one change this does not see."""
    return f"{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}:{status.st_ino}"


def _ingest_mapping(conn: duckdb.DuckDBPyConnection, spec: TableSpec, paths: list[Path],
                    landing_dir: Path, settle_seconds: float = 0.0) -> list[FileReport]:
    """ingest_files for one mapping of a table."""
    if not paths:
        return []
    status = {path: path.stat() for path in paths}  # before reading: a change after this rejects the file
    stats = {path: (st.st_size, st.st_mtime_ns) for path, st in status.items()}
    identities = {path: _identity(st) for path, st in status.items()}
    fingerprint = mapping_fingerprint(spec)
    loaded_with = {}  # file -> the mapping fingerprint its latest load used
    latest = {}
    loaded_as = {}  # file -> its identity when its latest load read it
    for source_file, file_checksum, used, identity in conn.execute(
        f"""select source_file, file_checksum, mapping_fingerprint, file_identity from (
                select source_file, file_checksum, mapping_fingerprint, file_identity, status,
                       row_number() over (partition by source_file order by loaded_at desc) as recency
                from {META_SCHEMA}.load_log
                where raw_table = ? and mapping is not distinct from ? and status in {LOADED + (WITHDRAWN,)}
            ) where recency = 1 and status in {LOADED}""",
        [spec.raw_table, spec.mapping_name],
    ).fetchall():
        latest[source_file], loaded_with[source_file], loaded_as[source_file] = file_checksum, used, identity
    # A file not written since its load, read with the same mapping, is unchanged without a read.
    known = {path: latest[relative] for path in paths
             if loaded_as.get(relative := path.relative_to(landing_dir).as_posix()) == identities[path]
             and loaded_with.get(relative) == fingerprint}
    to_read = [path for path in paths if path not in known]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # hashlib releases the GIL
        facts = dict(zip(to_read, pool.map(file_facts, to_read)))
    checksums = [known[path] if path in known else facts[path][0] for path in paths]
    line_counts = {path: lines for path, (_, lines) in facts.items()}
    reports: list[FileReport] = []
    pending: list[tuple[Path, FileReport]] = []
    in_this_load: dict[str, str] = {}  # checksum -> file, for twins delivered together
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    for path, checksum in zip(paths, checksums):
        relative = path.relative_to(landing_dir).as_posix()
        if latest.get(relative) == checksum and loaded_with.get(relative) == fingerprint:
            reports.append(FileReport(spec.raw_table, relative, checksum, "unchanged", message="already loaded",
                                      mapping=spec.mapping_name, mapping_fingerprint=fingerprint,
                                      file_identity=identities[path]))
            if path not in known:  # rewritten with the same bytes (a sync, a touch): not read again next night
                _record_identity(conn, spec, relative, identities[path])
            continue
        # the same bytes loaded with another mapping (or time zone): load them again as it says now
        remapped = latest.get(relative) == checksum
        twin = None if remapped else next(
            (name for name, digest in sorted(latest.items()) if digest == checksum and name != relative), None
        ) or in_this_load.get(checksum)
        blank = _blank(path)
        if twin is not None or blank is not None:
            status = "duplicate" if twin is not None else "empty"
            message = (f"{relative}: same content as {twin}, which is loaded; not loaded twice" if twin
                       else f"{relative}: {blank}, nothing to load")
            if relative in latest:
                message += "; the rows loaded before from this file are kept"
            report = FileReport(spec.raw_table, relative, checksum, status, message=message, mapping=spec.mapping_name,
                                mapping_fingerprint=fingerprint, file_identity=identities[path])
            _log(conn, uuid.uuid4().hex, report, loaded_at)
            reports.append(report)
            continue
        report = FileReport(spec.raw_table, relative, checksum, "replaced" if relative in latest else "loaded",
                            mapping=spec.mapping_name, mapping_fingerprint=fingerprint, file_identity=identities[path],
                            message="the mapping changed since this file was loaded: loaded again" if remapped else "")
        reports.append(report)
        problem = _unsettled(path, stats[path], settle_seconds)
        if problem is not None:
            _reject(conn, report, problem, latest, loaded_at)
            continue
        in_this_load[checksum] = relative
        pending.append((path, report))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        problems = list(pool.map(gzip_problem, [path for path, _ in pending]))
    for (path, report), problem in zip(list(pending), problems):
        if problem is not None:
            _reject(conn, report, problem, latest, loaded_at)
            pending.remove((path, report))
    unknown = _unknown_names(conn, spec, paths, landing_dir) if pending else None
    if unknown is not None:
        load_id = uuid.uuid4().hex
        for _, report in pending:
            kept = "; the rows loaded before from this file are kept" if report.source_file in latest else ""
            report.status, report.message = "rejected", f"{report.source_file}: {unknown}{kept}"
            _log(conn, load_id, report, loaded_at)
        return reports
    for batch in _batches(pending, spec.format):
        while batch:
            messages = [(report, report.message) for _, report in batch]
            try:
                _load_batch(conn, spec, batch, latest, line_counts, stats)
                break
            except FILE_FAULTS as exc:  # rolled back: the batch's files are rejected, naming the cause
                cause = fault_cause(exc)
                for report, message in messages:
                    report.message = message
                for _, report in batch:
                    if report.status != "rejected":
                        report.rows_read = report.rows_loaded = report.rows_quarantined = 0
                        others = f" (loaded together with {len(batch) - 1} other file(s))" if len(batch) > 1 else ""
                        _reject(conn, report, f"could not be loaded{others}: {cause}", latest, loaded_at)
                break
            except _FilesChanged as changed:  # rolled back: the others are loaded again without them
                for report, message in messages:
                    report.message = message
                for path, report in batch:
                    if report.source_file in changed.files:
                        report.rows_read = report.rows_loaded = report.rows_quarantined = 0
                        _reject(conn, report, "the file changed (size or modification time) while it was read: "
                                "it is still being written; it is read again on a later run", latest, loaded_at)
                batch = [(p, r) for p, r in batch if r.status != "rejected"]
    return reports


# What a file, the disk or the machine can do to a load (as opposed to a bug of the loader): the
# file is rejected with the cause, instead of an exception that names neither (and that Dagster
# would retry as transient).
FILE_FAULTS = (OSError, EOFError, zlib.error, UnicodeError, duckdb.IOException, duckdb.OutOfMemoryException,
               duckdb.InvalidInputException, duckdb.ConversionException)


def fault_cause(exc: BaseException) -> str:
    """The cause of a failed load, as a person would say it."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if getattr(exc, "errno", None) == errno.ENOSPC or "No space left on device" in str(exc):
        return (f"no space left on device (disk full: the scratch folder {tempfile.gettempdir()} or the warehouse's "
                f"folder): {text}")
    if isinstance(exc, EOFError):
        return f"the compressed stream ends early (truncated file): {text}"
    if isinstance(exc, zlib.error):
        return f"corrupt compressed data: {text}"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"out of memory: {text}"
    return text


BLANK_BYTES = 4096  # a file this small is looked at whole for content


def _blank(path: Path) -> str | None:
    """What makes the file empty, when it is: no bytes, or only a byte-order mark and white space
    (an export of no rows that lost even its header is no data, like a 0-byte file, not an error)."""
    size = path.stat().st_size
    if size == 0:
        return "empty file (0 bytes)"
    if size > BLANK_BYTES:
        return None
    with open(path, "rb") as handle:
        data = handle.read(BLANK_BYTES)
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        data = data.removeprefix(bom)
    if data.replace(b"\x00", b"").strip() == b"":
        return f"no content ({size} bytes of byte-order mark or white space only)"
    return None


class _FilesChanged(Exception):
    def __init__(self, files: list[str]):
        super().__init__(", ".join(files))
        self.files = set(files)


def _unsettled(path: Path, stat_key: tuple[int, int], settle_seconds: float) -> str | None:
    """Why a file is not read yet: it was modified within the settle time (a writer may be busy)."""
    age = time.time() - stat_key[1] / 1e9
    if settle_seconds > 0 and age < settle_seconds:
        return (f"modified {max(age, 0):.0f} s ago, within the settle time of {settle_seconds:g} s: it may still "
                f"be being written; it is read on a later run")
    return None


def _reject(conn, report: FileReport, reason: str, latest: dict[str, str], loaded_at: datetime) -> None:
    kept = "; the rows loaded before from this file are kept" if report.source_file in latest else ""
    report.status, report.message = "rejected", f"{report.source_file}: {reason}{kept}"
    _log(conn, uuid.uuid4().hex, report, loaded_at)


def _unknown_names(conn, spec: TableSpec, paths: list[Path], landing_dir: Path) -> str | None:
    """Why the mapping cannot load the table's files, when it reads a column none of them has (all
    the table's files count, loaded before or not: one export may serve a name the other lacks)."""
    reader = HEADERS.get(spec.format)
    if reader is None:
        return None
    headers = {}
    for path in paths:
        names = reader(conn, spec, path)
        if names is not None:  # an unreadable file is rejected by its staging, with the reason
            headers[path.relative_to(landing_dir).as_posix()] = names
    return unknown_names(spec, headers, same_name)


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
                line_counts: dict[Path, int], stats: dict[Path, tuple[int, int]] | None = None) -> None:
    """Stage, check and load files in one transaction; fill in their reports."""
    load_id = uuid.uuid4().hex
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    reports = {report.source_file: report for _, report in batch}
    with tempfile.TemporaryDirectory(prefix="mot-ingest-") as folder:
        scratch = Scratch(Path(folder))
        try:
            staged = STAGERS[spec.format].stage(conn, spec, [(path, report.source_file) for path, report in batch],
                                                scratch, line_counts=line_counts)
            for relative, reason in staged.rejected.items():
                kept = "; the rows loaded before from this file are kept" if relative in latest else ""
                report = reports.pop(relative)
                report.status, report.message = "rejected", f"{relative}: {reason}{kept}"
                _log(conn, load_id, report, loaded_at)
            if not reports:
                return
            for relative, report in reports.items():
                notes = ([report.message] if report.message else []) + staged.notes.get(relative, [])
                report.extra_columns = staged.extra_columns.get(relative, [])
                report.message = f"{relative}: " + "; ".join(notes) if notes else ""
            conn.execute("begin transaction")
            try:
                files = list(reports)
                conn.execute(f"delete from {RAW_SCHEMA}.{spec.raw_table} where list_contains(?, _source_file) "
                             f"and _mapping is not distinct from ?", [files, spec.mapping_name])
                conn.execute(
                    f"delete from {META_SCHEMA}.quarantine where raw_table = ? and list_contains(?, source_file) "
                    f"and mapping is not distinct from ?",
                    [spec.raw_table, files, spec.mapping_name],
                )
                counts = _load_typed(conn, spec, staged, scratch, {r: reports[r].file_checksum for r in files},
                                     load_id, loaded_at)
                for relative, report in reports.items():
                    (report.rows_read, report.rows_loaded, report.rows_quarantined, report.rows_skipped,
                     report.rows_duplicate_id, (ambiguous, undecodable)) = counts.get(relative, (0, 0, 0, 0, 0, (0, 0)))
                    if report.rows_read != report.rows_loaded + report.rows_quarantined + report.rows_skipped:
                        raise RuntimeError(f"{relative}: rows read != loaded + quarantined + skipped ({report})")
                    report.message = _with_counts(spec, report, ambiguous, undecodable)
                    _log(conn, load_id, report, loaded_at)
                changed = [report.source_file for path, report in batch
                           if report.source_file in reports and stats and _stat_key(path) != stats[path]]
                if changed:
                    raise _FilesChanged(changed)
                conn.execute("commit")
            except BaseException:
                try:
                    conn.execute("rollback")
                except duckdb.Error:  # DuckDB ended the transaction itself (e.g. disk full): keep the cause
                    pass
                raise
        finally:
            _drop_tables(conn, [*scratch.tables, CHECKED])


def _with_counts(spec: TableSpec, report: FileReport, dst_ambiguous: int = 0, undecodable: int = 0) -> str:
    """The report's message, with what the counts alone would not explain."""
    parts = [report.message] if report.message else []
    if undecodable:
        parts.append(f"{undecodable} of {report.rows_read} row(s) are not valid {spec.csv.encoding}: if that is "
                     f"most of them, the file is in another encoding; set csv.encoding of {spec.key} in {spec.origin}")
    if dst_ambiguous:
        parts.append(f"{dst_ambiguous} loaded row(s) have a local time that {spec.timezone} has twice (the hour "
                     f"repeated when daylight saving time ends): read as the second occurrence (standard time)")
    if report.rows_skipped:
        parts.append(f"{report.rows_skipped} row(s) skipped by the `where:` of {spec.key}")
    if report.rows_duplicate_id:
        key = next(c.name for c in spec.columns if c.key)
        parts.append(f"{report.rows_duplicate_id} loaded row(s) repeat the {key} of an earlier row of the file "
                     f"(all kept; staging keeps one row per {key})")
    if not parts:
        return ""
    head = f"{report.source_file}: "
    return head + "; ".join(p.removeprefix(head) for p in parts)


def _log(conn, load_id: str, report: FileReport, loaded_at: datetime) -> None:
    conn.execute(
        f"""insert into {META_SCHEMA}.load_log (load_id, raw_table, source_file, file_checksum, status, rows_read,
                rows_loaded, rows_quarantined, message, loaded_at, rows_skipped, rows_duplicate_id, mapping,
                mapping_fingerprint, file_identity)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [load_id, report.raw_table, report.source_file, report.file_checksum, report.status,
         report.rows_read, report.rows_loaded, report.rows_quarantined, report.message, loaded_at,
         report.rows_skipped, report.rows_duplicate_id, report.mapping, report.mapping_fingerprint,
         report.file_identity],
    )


# -- pass 2: types ----------------------------------------------------------------------------

def _sql_list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _typed(column: ColumnSpec, spec: TableSpec) -> str:
    """SQL for the column's typed value, NULL when the text is not a valid value of its type.

    Strict: integers are decimal digits only (DuckDB's cast would round 9.5 and read 0x0A or 1e1
    as 10); doubles are finite (no NaN, Infinity, or 1e309 overflowing to it); a timestamp's offset
    lies within -14:00..+14:00, an hour of 24 is refused (a cast reads 24:00 as the next midnight),
    and a local time that does not exist in the source's time zone (the hour skipped when DST
    begins) is refused too. A local time that exists twice (the hour repeated when DST ends) is
    loaded as its second occurrence (standard time), which is how staging converts it to UTC, and
    counted in the file's load_log message; a value whose own offset says it is the first
    occurrence is refused, as raw keeps local times and that instant has no local time of its own.
    """
    ref = f'"{column.name}"'
    if column.type == "timestamp":
        local = _local_timestamp(ref, spec)
        if _has_dst(spec.timezone):
            return (f"case when {_dst_gap(local, spec)} or {_first_of_twice(ref, local, spec)} then null "
                    f"else {local} end")
        return local
    if column.type == "date":
        return f"coalesce(cast(try_strptime({ref}, {_sql_list(spec.date_formats)}) as date), try_cast({ref} as date))"
    if column.type == "boolean":
        words = ", ".join(f"'{w}'" for w in TRUE_WORDS)
        return f"case when {ref} is null then null else lower({ref}) in ({words}) end"
    if column.type == "text":
        return ref
    if column.type in ("integer", "bigint"):
        return f"case when regexp_full_match({ref}, '{DECIMAL_INTEGER}') then try_cast({ref} as {RAW_TYPES[column.type]}) end"
    if column.type == "double":
        return (f"case when isfinite(try_cast({ref} as double)) and not regexp_matches({ref}, '{NOT_DECIMAL}') "
                f"then try_cast({ref} as double) end")
    return f"try_cast({ref} as {RAW_TYPES[column.type]})"


def _local_timestamp(ref: str, spec: TableSpec) -> str:
    """The value as a local timestamp of the source's time zone (an ISO value with its own offset is
    converted to it), NULL when it does not parse, has an offset beyond 14 hours, or an hour of 24."""
    local = (f"coalesce(try_strptime({ref}, {_sql_list(spec.timestamp_formats)}), "
             f"try_strptime({ref}, {_sql_list(spec.date_formats)}), try_cast({ref} as timestamp))")
    offset_minutes = (f"(cast(regexp_extract({ref}, '{OFFSET_PARTS}', 2) as integer) * 60 "
                      f"+ coalesce(try_cast(nullif(regexp_extract({ref}, '{OFFSET_PARTS}', 3), '') as integer), 0))")
    offset_ok = (f"(right({ref}, 1) = 'Z' or ({offset_minutes} <= {MAX_OFFSET_MINUTES} "
                 f"and coalesce(try_cast(nullif(regexp_extract({ref}, '{OFFSET_PARTS}', 3), '') as integer), 0) < 60))")
    return (f"case when regexp_matches({ref}, '{HOUR_24}') then null "
            f"when regexp_matches({ref}, '{OFFSET_PATTERN}') then case when {offset_ok} "
            f"then timezone('{spec.timezone}', try_cast({ref} as timestamptz)) end else {local} end")


def _has_dst(zone: str) -> bool:
    return zone.upper() not in ("UTC", "ETC/UTC", "GMT", "Z") and not zone.upper().startswith("ETC/GMT")


def _dst_gap(local: str, spec: TableSpec) -> str:
    """True when the local time does not exist in the zone: it comes back shifted from a round trip."""
    zone = spec.timezone
    return f"(timezone('{zone}', timezone('{zone}', {local})) <> {local})"


def _first_of_twice(ref: str, local: str, spec: TableSpec) -> str:
    """True for a value with its own offset whose local time the zone has twice and which is the
    first of the two (summer time): read back from raw as a local time it would be the second, an
    hour later in UTC."""
    return (f"coalesce(regexp_matches({ref}, '{OFFSET_PATTERN}') "
            f"and timezone('{spec.timezone}', {local}) <> try_cast({ref} as timestamptz), false)")


def _dst_overlap(local: str, spec: TableSpec) -> str:
    """True when the local time exists twice in the zone (an hour earlier in UTC reads the same)."""
    zone = spec.timezone
    return (f"(timezone('{zone}', timezone('{zone}', {local}) - interval 1 hour) = {local} "
            f"or timezone('{zone}', timezone('{zone}', {local}) + interval 1 hour) = {local})")


def _precision(column: ColumnSpec, spec: TableSpec) -> str:
    """'day' when the export gave a date alone (loaded as midnight), else 'second'."""
    ref = f'"{column.name}"'
    return (f"case when {ref} is null then null when try_strptime({ref}, {_sql_list(spec.date_formats)}) "
            f"is not null then 'day' else 'second' end")


def _failure(column: ColumnSpec, spec: TableSpec) -> str:
    """SQL that is a reason text when the column's value is unusable, else NULL."""
    ref = f'"{column.name}"'
    checks = []
    if column.required and column.fallback:
        # staging uses the fallback's value: only a row without either has no usable value
        checks.append(f"when {ref} is null and \"{column.fallback}\" is null then '{column.name}: required "
                      f"value is missing, and so is its fallback {column.fallback}'")
    elif column.required:
        checks.append(f"when {ref} is null then '{column.name}: required value is missing'")
    if column.allowed is not None:
        codes = ", ".join(column.allowed)
        hint = (f" is not a code of {column.name} (allowed: {codes}); map it under "
                f"{spec.column_key(column.name)}.values in {spec.origin}")
        checks.append(f"when {ref} is not null and {ref} not in ({', '.join(map(sql_text, column.allowed))}) "
                      f"then '{column.name}: ''' || left({ref}, 80) || '''' || {sql_text(hint)}")
    if column.type == "boolean":
        words = ", ".join(f"'{w}'" for w in BOOLEAN_WORDS)
        checks.append(f"when {ref} is not null and lower({ref}) not in ({words}) "
                      f"then '{column.name}: ''' || left({ref}, 80) || ''' is not a boolean'")
    elif column.type != "text":
        if column.type == "timestamp" and _has_dst(spec.timezone):
            local = _local_timestamp(ref, spec)
            checks.append(f"when {ref} is not null and {_dst_gap(local, spec)} "
                          f"then '{column.name}: ''' || left({ref}, 80) || ''' does not exist in {spec.timezone} "
                          f"(the hour skipped when daylight saving time begins)'")
            checks.append(f"when {ref} is not null and {_first_of_twice(ref, local, spec)} "
                          f"then '{column.name}: ''' || left({ref}, 80) || ''' is the first of two moments with "
                          f"the same local time in {spec.timezone} (the hour repeated when daylight saving time "
                          f"ends); raw keeps local times, which would read it as the second, an hour later'")
        checks.append(f"when {ref} is not null and {_typed(column, spec)} is null "
                      f"then '{column.name}: ''' || left({ref}, 80) || ''' is not a valid {column.type}'")
    return f"case {' '.join(checks)} end" if checks else "null"


def _drop_tables(conn, names: list[str]) -> None:
    for name in names:
        conn.execute(f"drop table if exists {name}")


def _raw_lines_of_quarantined(conn, raw_lines: dict[str, str]) -> None:
    """A quarantined row whose staging left its raw record out gets its line, read back from the
    file's lines (StagedBatch.raw_lines); only files with such a row are read."""
    for (relative,) in conn.execute(
        f"select distinct _source_file from {CHECKED} where _reason is not null and _raw_record is null "
        "and list_contains(?, _source_file)", [list(raw_lines)]
    ).fetchall():
        conn.execute(
            f"""update {CHECKED} set _raw_record = left(l.line, {RAW_RECORD_LIMIT})
                from {raw_lines[relative]} as l
                where {CHECKED}._source_file = ? and {CHECKED}._reason is not null
                  and cast({CHECKED}._line_number as bigint) = l.n""",
            [relative],
        )


def _load_typed(conn, spec: TableSpec, staged: StagedBatch, scratch: Scratch, checksums: dict[str, str],
                load_id: str, loaded_at: datetime) -> dict[str, tuple[int, int, int]]:
    """Check the staged rows in one pass, then move them into quarantine or the raw table; return
    (read, loaded, quarantined, skipped, loaded rows repeating a declared id) per file. Only a
    quarantined row keeps its raw record; a row the `where:` skips is neither checked nor kept."""
    failures = [_failure(c, spec) for c in spec.columns]
    first_column = " ".join(f"when ({f}) is not null then '{c.name}'" for c, f in zip(spec.columns, failures))
    conn.execute(
        f"""create or replace temp table {CHECKED} as
            with staged as (
                -- a row whose structure is bad is quarantined: its `where:` cannot be evaluated
                select * replace (_structural is null and coalesce("{SKIP_COLUMN}", false) as "{SKIP_COLUMN}")
                from ({staged.query})
            ),
            reasoned as (
                select *,
                       case when not "{SKIP_COLUMN}" then
                           coalesce(_structural, nullif(concat_ws('; ', {', '.join(failures)}), '')) end as _reason,
                       case when _structural is null and not "{SKIP_COLUMN}" then case {first_column} end end
                           as _column
                from staged
            )
            select * replace (case when _reason is not null then left(_raw_record, {RAW_RECORD_LIMIT}) end
                              as _raw_record)
            from reasoned"""
    )
    _drop_tables(conn, scratch.tables)  # all in CHECKED now: free their memory before the inserts
    _raw_lines_of_quarantined(conn, staged.raw_lines)
    files = _sql_list(checksums)
    digests = _sql_list(checksums.values())
    checksum = f"map_from_entries(list_zip({files}, {digests}))[_source_file]"
    conn.execute(
        f"""insert into {META_SCHEMA}.quarantine (load_id, raw_table, source_file, file_checksum, row_number,
                line_number, column_name, reason, raw_record, quarantined_at, mapping)
            select ?, ?, _source_file, {checksum}, cast(_row_number as bigint), cast(_line_number as bigint),
                   _column, _reason, _raw_record, ?, ?
            from {CHECKED} where _reason is not null""",
        [load_id, spec.raw_table, loaded_at, spec.mapping_name],
    )
    typed = [_typed(c, spec) for c in spec.columns]
    typed += [_precision(c, spec) for c in spec.columns if c.type == "timestamp"]
    typed += [f'"{EXTRA_COLUMN}"', "_source_file", "cast(_row_number as bigint)", checksum, "?", "?", "?", "?"]
    names = ", ".join(f'"{name}"' for name, _ in raw_columns(spec))
    # Rows arrive in file and row order (DuckDB preserves insertion order): no sort needed.
    conn.execute(
        f"""insert into {RAW_SCHEMA}.{spec.raw_table} ({names})
            select {', '.join(typed)}
            from {CHECKED} where _reason is null and not "{SKIP_COLUMN}"
            """,
        [loaded_at, spec.timezone, load_id, spec.mapping_name],
    )
    key = next((f'"{c.name}"' for c in spec.columns if c.key), None)
    loaded = f'_reason is null and not "{SKIP_COLUMN}"'
    # ids are compared as the export wrote them (trimmed text); each row after the first of an id counts
    repeats = (f"count({key}) filter (where {loaded}) - count(distinct {key}) filter (where {loaded})"
               if key else "0")
    stamps = [c for c in spec.columns if c.type == "timestamp"] if _has_dst(spec.timezone) else []
    # a value with its own offset is one exact moment (or refused above): only a bare local time is read as a guess
    twice = " or ".join(f"coalesce(not regexp_matches({chr(34) + c.name + chr(34)}, '{OFFSET_PATTERN}') and "
                        f"{_dst_overlap(_local_timestamp(chr(34) + c.name + chr(34), spec), spec)}, false)"
                        for c in stamps) or "false"
    return {
        relative: (read, read - quarantined - skipped, quarantined, skipped, duplicates, (ambiguous, undecodable))
        for relative, read, quarantined, skipped, duplicates, ambiguous, undecodable in conn.execute(
            f"""select _source_file, count(*), count(*) filter (where _reason is not null),
                       count(*) filter (where "{SKIP_COLUMN}"), {repeats},
                       count(*) filter (where {loaded} and ({twice})),
                       count(*) filter (where _structural = '{UNDECODABLE}')
                from {CHECKED} group by 1"""
        ).fetchall()
    }
