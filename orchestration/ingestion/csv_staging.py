"""CSV exports -> staged rows, one file at a time.

Python's csv module reads the records (it gets quoted newlines, BOMs, gzip and odd encodings
right, and numbers every record and line); a record with the wrong field count, broken quoting or
undecodable bytes is staged with its reason instead of its values. The records are rewritten as a
plain UTF-8 CSV with positional column names, which DuckDB reads back in one pass; the mapping
(copies and expressions) and the `_extra` JSON of unmapped columns are computed there, in SQL.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

from .config import TableSpec
from .staging import (EXTRA_COLUMN, FILE_NAME_COLUMN, MAX_LINE_BYTES, RAW_RECORD_LIMIT, STAGED, FileRejected,
                      OneFileAtATime, Scratch, Staged, is_gzip, mapped_columns, open_bytes, sql_path, sql_text)

# Bounded work: a field (a line, for a record) past MAX_LINE_BYTES, or a header of more than
# MAX_COLUMNS names, rejects the file at once with its line number instead of buffering gigabytes or
# building a query of tens of thousands of columns.
csv.field_size_limit(MAX_LINE_BYTES)
MAX_COLUMNS = 2000
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
OTHER_DELIMITERS = (";", "\t", "|", ",")
TRIMMED = "' \t\r\n'"
SURROGATES = re.compile("[\udc80-\udcff]")
REPLACED = re.compile("\ufffd")


class CsvStager(OneFileAtATime):
    """A CSV export, rewritten as plain UTF-8 CSV in the scratch folder and read back by DuckDB."""

    def stage_one(self, conn, spec: TableSpec, path: Path, relative: str, scratch: Scratch) -> tuple[str, Staged]:
        return _stage_csv(spec, path, relative, scratch.folder / "rows.csv")


def _stage_csv(spec: TableSpec, path: Path, relative: str, normalised: Path) -> tuple[str, Staged]:
    staged = Staged()
    with _open_text(path, spec.csv.encoding, staged) as handle, \
            open(normalised, "w", newline="", encoding="utf-8") as target:
        options = spec.csv
        records = csv.reader(handle, **_dialect(options))
        header = _read_header(records)
        names = _unique_names(header)
        column_sql = _resolver(names, header, path.name)
        try:
            selects, notes = mapped_columns(spec, column_sql, names, "column")
        except FileRejected:
            if len(header) == 1:
                _reject_if_wrong_delimiter(spec, header[0])
            raise
        staged.notes += notes
        used = {name for name in spec.inputs if column_sql(name)}
        used_refs = {column_sql(name) for name in used}
        extras = [(name, f"c{i + 1}") for i, name in enumerate(names) if f"c{i + 1}" not in used_refs]
        if extras:
            staged.extra_columns = [name for name, _ in extras]
            kept = "kept in _extra" if spec.extra == "keep" else "dropped (extra: drop)"
            staged.notes.append(f"{len(extras)} column(s) not in the mapping, {kept}: "
                                + ", ".join(repr(n) for n, _ in extras))
        if spec.extra == "keep" and extras:
            pairs = ", ".join(f"{sql_text(name)}, {ref}" for name, ref in extras)
            selects.append(f'cast(json_object({pairs}) as varchar) as "{EXTRA_COLUMN}"')
        else:
            selects.append(f'cast(null as varchar) as "{EXTRA_COLUMN}"')

        writer = csv.writer(target)
        writer.writerow([*STAGED, *(f"c{i + 1}" for i in range(len(names)))])
        _write_records(records, writer, len(names), options.delimiter, options.skip_rows_after_header,
                       handle.undecodable)

    positional = ", ".join(f"'c{i + 1}': 'VARCHAR'" for i in range(len(names)))
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in STAGED) + (", " + positional if positional else "")
    trimmed = ", ".join(f"nullif(trim(c{i + 1}, {TRIMMED}), '') as c{i + 1}" for i in range(len(names)))
    query = f"""
            with src as (
                select _row_number, _line_number, _raw_record, nullif(_structural, '') as _structural, {trimmed}
                from read_csv('{sql_path(normalised)}', header = true, auto_detect = false,
                    columns = {{{types}}}, delim = ',', quote = '"', escape = '"',
                    max_line_size = {MAX_LINE_BYTES})
            )
            select {sql_text(relative)} as _source_file, {', '.join(STAGED)}, {', '.join(selects)} from src"""
    return query, staged



def _dialect(options) -> dict:
    dialect = {"delimiter": options.delimiter, "strict": True}
    if options.quote is None:
        dialect["quoting"] = csv.QUOTE_NONE
    else:
        dialect["quotechar"] = options.quote
    if options.escape is not None:
        dialect.update(escapechar=options.escape, doublequote=False)
    return dialect


def _read_header(records) -> list[str]:
    try:
        header = next(records, None)
    except csv.Error as exc:
        raise FileRejected(f"the header row cannot be read: {exc}") from exc
    if not header or not any(h.strip() for h in header):
        raise FileRejected("no header row (the file is blank)")
    if len(header) > MAX_COLUMNS:
        raise FileRejected(f"the header has {len(header)} columns, more than the {MAX_COLUMNS} an export can have: "
                           f"not a table export (or the delimiter is wrong)")
    # undecodable bytes in a header name show as U+FFFD (the name still reaches the report)
    header = [h.encode("utf-8", "surrogateescape").decode("utf-8", "replace").strip() for h in header]
    while header and header[-1] == "":
        header.pop()  # a trailing delimiter on every line
    return header


def csv_header(spec: TableSpec, path: Path) -> list[str] | None:
    """The file's header names, or None when it cannot be read (staging then says why)."""
    try:
        with _open_text(path, spec.csv.encoding, Staged()) as handle:
            return _read_header(csv.reader(handle, **_dialect(spec.csv)))
    except (FileRejected, OSError, UnicodeError, EOFError):
        return None


def same_name(name: str) -> str:
    """How the mapping matches a header: ignoring case and runs of white space."""
    return _normal(name)


def _write_records(records, writer, width: int, delimiter: str, skip: int, undecodable: re.Pattern) -> None:
    blank = [""] * width
    rows_read = 0
    line_number = records.line_num + 1  # where the next record starts (it may span lines)
    for _ in range(skip):
        try:
            next(records, None)
        except csv.Error:
            pass
        line_number = records.line_num + 1
    while True:
        start = line_number
        try:
            record = next(records)
        except StopIteration:
            break
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise FileRejected(f"the record starting on line {start} has a field longer than {MAX_LINE_BYTES} "
                                   f"bytes: not a table export (or its quoting is broken)") from exc
            line_number = records.line_num + 1
            rows_read += 1
            writer.writerow([rows_read, start, "", f"malformed quoting ({exc}) in the record starting on this line",
                             *blank])
            continue
        line_number = records.line_num + 1
        if not record:
            continue  # a blank line is not a row
        rows_read += 1
        if len(record) > width and not any(v.strip() for v in record[width:]):
            record = record[:width]  # trailing delimiters
        joined = delimiter.join(record)
        raw = joined[:RAW_RECORD_LIMIT]
        if undecodable.search(joined):
            clean = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            writer.writerow([rows_read, start, clean, "invalid UTF-8", *blank])
        elif len(record) != width:
            writer.writerow([rows_read, start, raw, f"expected {width} fields, found {len(record)}", *blank])
        else:
            writer.writerow([rows_read, start, raw, "", *record])


class _open_text:
    """The file as text: gzip by its magic bytes, UTF-16 by its BOM, a UTF-8 BOM dropped.

    With UTF-8, undecodable bytes survive as surrogates (surrogateescape), so a bad row is
    quarantined, not the whole file.
    """

    def __init__(self, path: Path, encoding: str, staged: Staged):
        self.path, self.encoding, self.staged = path, encoding, staged

    def __enter__(self):
        self.source = open_bytes(self.path)
        raw = gzip.GzipFile(fileobj=self.source) if is_gzip(self.path) else self.source
        self.raw = io.BufferedReader(raw) if not hasattr(raw, "peek") else raw
        start = self.raw.peek(4)[:4]
        encoding, errors = self.encoding, "strict"
        if start[:2] in UTF16_BOMS and not encoding.lower().startswith("utf-16"):
            encoding = "utf-16"
            self.staged.notes.append(f"read as UTF-16 (byte-order mark), not {self.encoding}")
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig"):
            encoding, errors = "utf-8-sig", "surrogateescape"
        else:
            errors = "replace"
        self.text = io.TextIOWrapper(self.raw, encoding=encoding, errors=errors, newline="")
        # how undecodable bytes show in the text: as surrogates (UTF-8) or as U+FFFD (others)
        self.text.undecodable = SURROGATES if errors == "surrogateescape" else REPLACED
        return self.text

    def __exit__(self, *exc):
        self.text.close()
        self.source.close()  # a GzipFile leaves the file it reads open


def _unique_names(header: list[str]) -> list[str]:
    """Header names made unique (a repeated name gets ' (2)', an empty one its position)."""
    seen: dict[str, int] = {}
    names = []
    for i, name in enumerate(header):
        name = name or f"column {i + 1}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _normal(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def _resolver(names: list[str], header: list[str], file_name: str):
    """Export column name -> positional SQL column; exact match first, then ignoring case and spaces.

    A mapped name that appears more than once in the header is ambiguous: the file is rejected.
    """
    exact = {}
    for i, name in enumerate(header):
        exact.setdefault(name, []).append(i)
    loose: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        loose.setdefault(_normal(name), []).append(i)

    def column_sql(name: str) -> str | None:
        positions = exact.get(name) or loose.get(_normal(name)) or []
        if not positions and name == FILE_NAME_COLUMN:
            return sql_text(file_name)
        if len(positions) > 1:
            raise FileRejected(
                f"column {name!r} appears {len(positions)} times in the header (columns "
                f"{', '.join(str(p + 1) for p in positions)}): the mapping cannot tell which to load"
            )
        return f"c{positions[0] + 1}" if positions else None

    return column_sql


def _reject_if_wrong_delimiter(spec: TableSpec, header: str) -> None:
    for other in OTHER_DELIMITERS:
        if other != spec.csv.delimiter and other in header:
            raise FileRejected(
                f"the header is a single column {header[:80]!r} that contains {other!r}: the file looks "
                f"{other!r}-delimited; set csv.delimiter in sources.{spec.source}.tables.{spec.name} in {spec.origin}"
            )
