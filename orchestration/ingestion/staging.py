"""What every file format's staging shares: the staged rows' shape and the column mapping.

Staging turns landing files into a query (`StagedBatch.query`): one row per data row of each file,
with its file, row and line number, the raw record, a structural reason when the row cannot be
read, every canonical column as trimmed text (NULL when empty), computed by the mapping (value maps
applied), and `_skip`, true when the mapping's `where:` does not hold for the row. The loader checks
and loads that query's rows in one pass.

The interface between the two is `Stager`: one call, `stage(conn, spec, files, scratch)`, returns a
`StagedBatch`, which is data only (SQL text, notes, rejections). The loader owns everything around
the call: the scratch folder and the names of the temporary tables a stager may need (`Scratch`),
dropping them, and the table of checked rows it builds from the query. A stager that leaves a row's
raw record out of its query (to read fast) says where the lines are (`StagedBatch.raw_lines`); the
loader reads back only those of quarantined rows.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import io
import os
import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import expressions
from .config import ColumnSpec, TableSpec

STAGED = ("_row_number", "_line_number", "_raw_record", "_structural")  # after _source_file
EXTRA_COLUMN = "_extra"
RAW_RECORD_LIMIT = 2000
MAX_LINE_BYTES = 64 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
FILE_NAME_COLUMN = "_file"  # an expression's handle on the export's file name
ROW_NUMBER_COLUMN = "_row_number"  # ... and on the row's number in its file (a staged column already)
PSEUDO_COLUMNS = (FILE_NAME_COLUMN, ROW_NUMBER_COLUMN)
SKIP_COLUMN = "_skip"


class FileRejected(Exception):
    """The whole file cannot be loaded (e.g. a required column is missing from its header)."""


@dataclass
class Staged:
    notes: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class StagedBatch:
    """Files staged together: the query over their rows, and what the load must know per file."""

    query: str = "select 1 where false"
    notes: dict[str, list[str]] = field(default_factory=dict)  # file -> notes for its report
    extra_columns: dict[str, list[str]] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # file -> why it cannot be loaded at all
    # file -> SQL of a relation (n, line): the file's lines, numbered from 1, for files whose staged
    # rows carry no raw record (a quarantined row gets its line from there, after the checks)
    raw_lines: dict[str, str] = field(default_factory=dict)


class Scratch:
    """What one staging may use besides the connection, handed out and cleaned up by the loader: a
    folder for intermediate files, and temporary tables under names the loader gives (and drops)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.tables: list[str] = []

    def table(self, role: str) -> str:
        """The name of a temporary table for `role` (a plain word), unique within this load."""
        name = f"_stage_{len(self.tables)}_{role}"
        self.tables.append(name)
        return name


class Stager(ABC):
    """How one file format becomes staged rows (see the module docstring)."""

    @abstractmethod
    def stage(self, conn, spec: TableSpec, files: list[tuple[Path, str]], scratch: Scratch, *,
              line_counts: dict[Path, int]) -> StagedBatch:
        """Stage `files` (path, name relative to the landing folder) of one mapping; `line_counts`
        holds each file's number of lines, read while its checksum was."""


class OneFileAtATime(Stager):
    """A format whose files are staged one per load: `stage_one` returns the file's query and its
    Staged notes, or raises FileRejected."""

    def stage(self, conn, spec, files, scratch, *, line_counts) -> StagedBatch:
        (path, relative), = files
        batch = StagedBatch()
        try:
            query, staged = self.stage_one(conn, spec, path, relative, scratch)
        except FileRejected as exc:
            batch.rejected[relative] = str(exc)
            return batch
        batch.query, batch.notes[relative], batch.extra_columns[relative] = query, staged.notes, staged.extra_columns
        return batch

    @abstractmethod
    def stage_one(self, conn, spec: TableSpec, path: Path, relative: str, scratch: Scratch) -> tuple[str, Staged]:
        ...


GLOB_CHARACTERS = "*?["


def sql_path(path: Path) -> str:
    """A file's path for DuckDB's readers, inside single quotes: quotes doubled, and the characters
    DuckDB would expand as a glob each in brackets ([*] is a literal star), so a file named
    `events_*.ndjson` is that file and not every shard beside it."""
    text = str(path)
    if any(c in text for c in GLOB_CHARACTERS):
        text = "".join(f"[{c}]" if c in GLOB_CHARACTERS else c for c in text)
    return text.replace("'", "''")


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A name from a mapping file (a JSON path, a header) as a quoted SQL identifier: a double
    quote inside it is doubled, so the name can never end the identifier and go on as SQL."""
    return '"' + name.replace('"', '""') + '"'


class _UpTo(io.RawIOBase):
    """A file read only up to the size it had when opened: a writer still appending to it cannot
    make a reader chase its end (the loader then sees the size change and rejects the file)."""

    def __init__(self, path: Path):
        self.handle = open(path, "rb")
        self.left = os.fstat(self.handle.fileno()).st_size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = min(len(buffer), self.left)
        if wanted <= 0:
            return 0
        got = self.handle.readinto(memoryview(buffer)[:wanted])
        self.left -= got
        return got

    def close(self) -> None:
        self.handle.close()
        super().close()


def open_bytes(path: Path) -> io.BufferedReader:
    """The file's bytes as they were when it was opened (see _UpTo)."""
    return io.BufferedReader(_UpTo(path), buffer_size=1 << 20)


def file_facts(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and its number of lines (a last line without a newline counts), in one read."""
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    with open_bytes(path) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
            last = block[-1:]
    return digest.hexdigest(), lines + (last != b"\n")


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def gzip_problem(path: Path) -> str | None:
    """Why a gzip file is not whole (cut short, or corrupt), read to its end; None when it is whole
    or not gzip. A cut stream would otherwise load as a shorter file."""
    if not is_gzip(path):
        return None
    try:
        with open_bytes(path) as source, gzip.GzipFile(fileobj=source) as stream:
            while stream.read(1 << 20):
                pass
    except EOFError:
        return "the gzip stream ends before its end marker: the file is truncated (cut short in transfer?)"
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        return f"corrupt gzip data ({exc})"
    return None


def mapped_columns(spec: TableSpec, column_sql: Callable[[str], str | None],
                   candidates: list[str], what: str) -> tuple[list[str], list[str]]:
    """SQL for each canonical column over the staged source columns, then `_skip`; and notes for the
    report.

    `column_sql(name)` is the SQL of an export column, or None when the file does not have it; the
    staged `_row_number` serves "_row_number" in every format (the stager resolves "_file"). A
    missing input of a required column rejects the file, naming the column and the mapping to edit,
    unless the column has a fallback (staging then uses the fallback's value).
    """

    def source_sql(name: str) -> str | None:
        found = column_sql(name)
        return ROW_NUMBER_COLUMN if found is None and name == ROW_NUMBER_COLUMN else found

    selects, notes, missing = [], [], []
    for column in spec.columns:
        absent = [name for name in column.inputs if source_sql(name) is None]
        if column.expr is not None and len(absent) < len(column.inputs):
            absent = []  # an expression reads the columns the file lacks as NULL
        if not column.mapped:
            if column.required and column.fallback:
                notes.append(f"{column.name} is not mapped: NULL in raw, and staging uses {column.fallback} "
                             f"(fallback rule of canonical.yml)")
            selects.append(f'cast(null as varchar) as "{column.name}"')
        elif absent:
            if column.required and not column.fallback:
                missing.append((column, absent))
            else:
                instead = f"; staging uses {column.fallback} (fallback rule)" if column.fallback else ""
                notes.append(f"{'optional ' if not column.required else ''}{what} {', '.join(map(repr, absent))} "
                             f"(-> {column.name}) not in the file: NULL{instead}")
            selects.append(f'cast(null as varchar) as "{column.name}"')
        else:
            if column.expr is not None:
                rendered = expressions.render(column.expr, lambda name: source_sql(name) or "cast(null as varchar)")
                sql = f"nullif(trim(cast(({rendered}) as varchar)), '')"
            else:
                sql = source_sql(column.source)
            selects.append(f'{value_mapped(column, sql)} as "{column.name}"')
    if missing:
        raise FileRejected(missing_message(spec, missing, candidates, what))
    if spec.where is not None:
        condition = expressions.render(spec.where, lambda name: source_sql(name) or "cast(null as varchar)")
        # a row is loaded only where the condition is true: false and NULL (unknown) both skip it
        selects.append(f'not coalesce(try_cast(({condition}) as boolean), false) as "{SKIP_COLUMN}"')
    else:
        selects.append(f'false as "{SKIP_COLUMN}"')
    return selects, notes


def value_mapped(column: ColumnSpec, sql: str) -> str:
    """The column's value through its value map: an export value (trimmed, any case) that is a key
    gets its code; one that is a canonical code already, in any case, gets the code as written;
    any other non-empty value gets the `default` when there is one, else stays as exported (and is
    quarantined by the loader when the column has canonical codes)."""
    if column.values is None and column.allowed is None:
        return sql
    entries = dict(column.values or ())
    for code in column.allowed or ():
        entries.setdefault(code.lower(), code)
    if not entries and not column.has_default:
        return sql
    whens = " ".join(f"when {sql_text(key)} then {sql_text(code) if code is not None else 'null'}"
                     for key, code in entries.items())
    otherwise = (sql_text(column.default) if column.default is not None else "null") if column.has_default else sql
    return f"case when ({sql}) is null then null else case lower({sql}) {whens} else {otherwise} end end"


def missing_message(spec: TableSpec, missing: list[tuple[ColumnSpec, list[str]]], candidates: list[str],
                     what: str) -> str:
    parts = []
    for column, absent in missing:
        for name in absent:
            close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
            hint = f"; the file has {close[0]!r}" if close else ""
            parts.append(f"{name!r} (-> {column.name}{hint})")
    return (
        f"required {what}(s) {', '.join(parts)} not in the file; the export was renamed or changed: edit "
        f"the mapping {spec.mapping}"
    )


def unknown_names(spec: TableSpec, headers: dict[str, list[str]], same: Callable[[str], str]) -> str | None:
    """Why the mapping cannot load these files, when it reads a column that none of them has.

    `headers` maps each file of the table to its header names; `same` is how a name matches a
    header. A name in at least one file is fine (an expression may serve two kinds of export); a
    name in none would read NULL everywhere, which is a typo or a renamed export, not data.
    """
    if not headers:
        return None
    known = {same(name) for names in headers.values() for name in names}
    everything = sorted({name for names in headers.values() for name in names})
    # A required column copied from one export column has its own, per-file check (mapped_columns),
    # whose message is the one to give: when such a column is in no file, leave the file to it.
    direct = [(c, name) for c in spec.columns for name in c.inputs if c.required and not c.fallback and c.expr is None]
    if any(same(name) not in known for _, name in direct):
        return None
    uses = [(spec.column_key(c.name), name) for c in spec.columns for name in c.inputs
            if not (c.required and not c.fallback and c.expr is None)]
    if spec.where is not None:
        uses += [(f"{spec.key}.where", name) for name in expressions.columns_of(spec.where)]
    problems = []
    for key, name in uses:
        if name in PSEUDO_COLUMNS or name.startswith("param:") or same(name.split(".")[0]) in known \
                or same(name) in known:
            continue
        close = difflib.get_close_matches(name, everything, n=1, cutoff=0.5)
        hint = f" (closest header: {close[0]!r})" if close else ""
        problems.append(f"{key} reads {name!r}{hint}")
    if not problems:
        return None
    files = ", ".join(sorted(headers)[:5]) + (", ..." if len(headers) > 5 else "")
    return (f"{'; '.join(dict.fromkeys(problems))}: in none of this table's {len(headers)} file(s) ({files}); "
            f"fix the name in {spec.origin}")
