"""What every file format's staging shares: the staged rows' shape and the column mapping.

Staging turns landing files into a query (`StagedBatch.query`): one row per data row of each file,
with its file, row and line number, the raw record, a structural reason when the row cannot be
read, and every canonical column as trimmed text (NULL when empty), computed by the mapping. The
loader checks and loads that query's rows in one pass.
"""

from __future__ import annotations

import difflib
import hashlib
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
    after: list[Callable] = field(default_factory=list)  # steps (of the connection) once `_checked` is built
    cleanup: list[str] = field(default_factory=list)


def one_file_at_a_time(stage_one):
    """A stager of one file (returning its query and Staged) as a stager of a batch of one."""

    def stage(conn, spec, files: list[tuple[Path, str]], scratch: Path, **_) -> StagedBatch:
        (path, relative), = files
        batch = StagedBatch()
        try:
            query, staged = stage_one(conn, spec, path, relative, scratch)
        except FileRejected as exc:
            batch.rejected[relative] = str(exc)
            return batch
        batch.query, batch.notes[relative], batch.extra_columns[relative] = query, staged.notes, staged.extra_columns
        return batch

    return stage


def sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def file_facts(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and its number of lines (a last line without a newline counts), in one read."""
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
            last = block[-1:]
    return digest.hexdigest(), lines + (last != b"\n")


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def mapped_columns(spec: TableSpec, column_sql: Callable[[str], str | None],
                   candidates: list[str], what: str) -> tuple[list[str], list[str]]:
    """SQL for each canonical column over the staged source columns, and notes for the report.

    `column_sql(name)` is the SQL of an export column, or None when the file does not have it. A
    missing input of a required column rejects the file, naming the column and the mapping to edit.
    """
    selects, notes, missing = [], [], []
    for column in spec.columns:
        absent = [name for name in column.inputs if column_sql(name) is None]
        if column.expr is not None and len(absent) < len(column.inputs):
            absent = []  # an expression reads the columns the file lacks as NULL
        if column.source is None and column.expr is None:
            selects.append(f'cast(null as varchar) as "{column.name}"')
        elif absent:
            if column.required:
                missing.append((column, absent))
            else:
                notes.append(f"optional {what} {', '.join(map(repr, absent))} (-> {column.name}) not in the file: NULL")
            selects.append(f'cast(null as varchar) as "{column.name}"')
        elif column.expr is not None:
            sql = expressions.render(column.expr, lambda name: column_sql(name) or "cast(null as varchar)")
            selects.append(f"nullif(trim(cast(({sql}) as varchar)), '') as \"{column.name}\"")
        else:
            selects.append(f'{column_sql(column.source)} as "{column.name}"')
    if missing:
        raise FileRejected(missing_message(spec, missing, candidates, what))
    return selects, notes


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
