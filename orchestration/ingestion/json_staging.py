"""JSON lines and Parquet exports -> staged rows, entirely in DuckDB.

JSON lines: all the files of a load are read in one query, each line as text, in parallel; the row
number is the line number in its file and a blank line (JSON whitespace only) is no row; an invalid
JSON line or bad encoding is staged with its reason. Parquet: each row becomes a JSON object (so
GA4's nested records and event_params are read the same way from either export) numbered by its
row in the file. Each record is parsed once: one json_extract_string over every mapped path, and
GA4's event_params list once, into key/value pairs that each `param:<key>` column picks from.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import duckdb

from .config import TableSpec
from .staging import (EXTRA_COLUMN, FILE_NAME_COLUMN, PSEUDO_COLUMNS, FileRejected, OneFileAtATime, Scratch, Staged,
                      StagedBatch, Stager, is_gzip, mapped_columns, missing_message, sql_identifier, sql_path, sql_text)

GA4_PARAMS = ("STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value VARCHAR, double_value VARCHAR, "
              "float_value VARCHAR))[]")
GA4_PARAMS_KEY = "event_params"
PARAM_PREFIX = "param:"
DRIFT_SAMPLE = 1000  # lines looked at for fields the mapping does not know, or no longer finds
# A longer line is quarantined as unreadable. Each file's scan buffers a multiple of this, and a
# load scans many files at once: 16 MiB is ~10,000 GA4 events on one line.
MAX_JSON_LINE_BYTES = 16 * 1024 * 1024
SAMPLED_TOGETHER = 8  # files whose first lines are read by one query (each holds its scan buffer)
CLEAN_PATH_COLUMN = "_mot_path"  # the file a row read by _read_clean came from


def json_path(dotted: str) -> str:
    return "$." + ".".join('"' + part.replace('"', "").replace("'", "") + '"' for part in dotted.split("."))


class NdjsonStager(Stager):
    """JSON lines files, many per load."""

    def stage(self, conn, spec, files, scratch, *, line_counts) -> StagedBatch:
        return stage_ndjson(conn, spec, files, scratch, line_counts)


def stage_ndjson(conn, spec: TableSpec, files: list[tuple[Path, str]], scratch: Scratch,
                 line_counts: dict[Path, int]) -> StagedBatch:
    """All the files in one query. Clean files are read by DuckDB's JSON reader straight into typed
    columns (see _read_clean); the others line by line: each file's lines are read (in parallel) and
    numbered by their own scan, then every line is parsed once, whichever file it came from."""
    batch = StagedBatch()
    keys: dict[str, set[str]] = {relative: set() for _, relative in files}
    for start in range(0, len(files), SAMPLED_TOGETHER):
        samples = " union all ".join(
            f"(select {sql_text(relative)} as _source_file, line from {_line_reader(path)} limit {DRIFT_SAMPLE})"
            for path, relative in files[start:start + SAMPLED_TOGETHER]
        )
        for relative, key in conn.execute(
            f"""select _source_file, unnest(json_keys(line)) from ({samples})
                where json_valid(line) and json_type(line) = 'OBJECT'"""
        ).fetchall():
            keys[relative].add(key)
    top_level = _top_level(spec)
    loadable = []
    for i, (path, relative) in enumerate(files):
        staged = Staged()
        try:
            _check_fields(spec, keys[relative], top_level, staged)
        except FileRejected as exc:
            batch.rejected[relative] = str(exc)
            continue
        batch.notes[relative], batch.extra_columns[relative] = staged.notes, staged.extra_columns
        loadable.append((i, path, relative))
    if not loadable:
        return batch
    queries = []
    clean_table = scratch.table("clean")
    clean = _read_clean(conn, spec, loadable, line_counts, clean_table)
    if clean:
        queries.append(_clean_records_query(spec, clean, clean_table))
        # a clean file's rows carry no raw record: a quarantined row's line is read back from here
        batch.raw_lines = {relative: f"(select ordinality as n, line from {_line_reader(path)} with ordinality)"
                           for relative, (path, _) in clean.items()}
    loadable = [item for item in loadable if item[2] not in clean]
    if loadable:
        queries.append(_read_lines(conn, spec, loadable, scratch))
    batch.query = " union all ".join(f"({query})" for query in queries)
    return batch


def _read_lines(conn, spec: TableSpec, loadable: list[tuple[int, Path, str]], scratch: Scratch) -> str:
    """Stage files line by line: the query over their records."""
    lines = scratch.table("lines")
    # each file's unreadable lines (and DuckDB's record of its scan), as read_csv keeps them
    reject_tables = {i: (scratch.table("line_rejects"), scratch.table("line_reject_scans")) for i, _, _ in loadable}
    # The lines are read file by file (each scan numbers its own lines), into one table that the
    # parse then reads with every thread: parsing inside each small file's scan would run on one.
    conn.execute(
        f"create or replace temp table {lines} as "
        + " union all ".join(
            f"""select {sql_text(relative)} as _source_file, {sql_text(path.name)} as _file_name,
                       ordinality as _line_number, line
                from {_line_reader(path, reject_tables[i])} with ordinality"""
            for i, path, relative in loadable
        )
    )
    counts = conn.execute(
        " union all ".join(f"select {i}, count(*) from {reject_tables[i][0]}" for i, _, _ in loadable)
    ).fetchall()
    unreadable = [(i, relative) for (i, n), (_, _, relative) in zip(counts, loadable) if n]
    # A line DuckDB could not read (bad encoding) is missing from its scan, which numbered the
    # lines after it one too low; the line itself is staged with its reason.
    for i, relative in unreadable:
        rejected = reject_tables[i][0]
        conn.execute(
            f"""update {lines} set _line_number = _line_number + (
                    select count(*) from (select line, row_number() over (order by line) as nth from {rejected}) r
                    where r.line - r.nth < {lines}._line_number)
                where _source_file = {sql_text(relative)}"""
        )
    rejects = " union all ".join(
        f"select {sql_text(relative)}, line, csv_line, error_message from {reject_tables[i][0]}"
        for i, relative in unreadable
    ) or "select null, null::bigint, null::varchar, null::varchar where false"
    numbered = f"""numbered as (
            select _source_file, _file_name, _line_number, line from {lines}
            where line is not null and trim(line, ' ' || chr(9) || chr(13)) <> ''
        )"""
    return _records_query(spec, numbered, "_file_name", rejects)


def _reader_types(spec: TableSpec) -> dict[str, str] | None:
    """The DuckDB type to read each top-level field the mapping uses as, for read_json: text for a
    field read whole, a STRUCT of text for one read by dotted paths, JSON for GA4's event_params
    (kept as text and parsed into parameters) or for a field read both ways. None when the
    mapping reads nothing."""
    paths, params, extract = _mapped_fields(spec)
    if not extract:
        return None
    types: dict[str, str] = {}
    for top in dict.fromkeys(name.split(".")[0] for name in extract):
        children = [name.split(".")[1:] for name in extract if name.split(".")[0] == top and "." in name]
        whole = top in extract
        nested = _tree(children)
        if (top == GA4_PARAMS_KEY and params) or (whole and children) or nested is None:
            types[top] = "JSON"
        elif children:
            types[top] = _struct_type(nested)
        else:
            types[top] = "VARCHAR"
    return types


def _tree(children: list[list[str]]) -> dict | None:
    """Dotted paths (split) as a tree whose leaves are None; None when one path is inside another."""
    tree: dict = {}
    for parts in children:
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if node is None:
                return None
        if parts[-1] in node:
            return None
        node[parts[-1]] = None
    return tree


def _struct_type(nested: dict) -> str:
    fields = ", ".join(
        f'"{name.replace(chr(34), chr(34) * 2)}" {"VARCHAR" if child is None else _struct_type(child)}'
        for name, child in nested.items()
    )
    return f"STRUCT({fields})"


def _read_clean(conn, spec: TableSpec, loadable: list[tuple[int, Path, str]], line_counts: dict[Path, int],
                table: str) -> dict[str, tuple[Path, int]]:
    """Read the plain (not gzipped) files with DuckDB's JSON reader into `table`, typed as the mapping
    needs, which is several times faster than reading lines and parsing them; return the files that
    proved clean (relative name -> path and the rowid of their first row).

    A file is clean when the reader gave one row per line and no row came back empty (an unreadable,
    blank or non-object line, or one without any mapped field): its row n is its line n, since
    DuckDB keeps insertion order. The other files are staged line by line, where each bad line
    gets its reason. Only a quarantined row of a clean file needs its raw line: the loader reads it
    back after the checks (StagedBatch.raw_lines). Fields the mapping does not know are not read
    here, so a table that keeps them (extra: keep) is always staged line by line."""
    types = _reader_types(spec)
    candidates = [(path, relative) for _, path, relative in loadable
                  if path in line_counts and not is_gzip(path)]
    if spec.extra == "keep" or types is None or not candidates:
        return {}
    columns = "{" + ", ".join(f"{sql_text(name)}: {sql_text(kind)}" for name, kind in types.items()) + "}"
    paths = "[" + ", ".join(f"'{sql_path(path)}'" for path, _ in candidates) + "]"
    try:
        conn.execute(
            f"""create or replace temp table {table} as
                select * from read_json({paths}, format = 'newline_delimited', columns = {columns},
                                        filename = '{CLEAN_PATH_COLUMN}', ignore_errors = true)"""
        )
    except duckdb.Error:
        return {}  # e.g. bytes that are not UTF-8: the line reader says which line
    empty = " and ".join(f"{sql_identifier(name)} is null" for name in types)
    stats = {
        path: (rows, empty_rows, first)
        for path, rows, empty_rows, first in conn.execute(
            f"""select {CLEAN_PATH_COLUMN}, count(*), count(*) filter (where {empty}), min(rowid)
                from {table} group by 1"""
        ).fetchall()
    }
    clean = {}
    for path, relative in candidates:
        rows, empty_rows, first = stats.get(str(path), (0, 0, 0))
        if rows and rows == line_counts[path] and not empty_rows:
            clean[relative] = (path, first)
    return clean


def _clean_records_query(spec: TableSpec, clean: dict[str, tuple[Path, int]], table: str) -> str:
    """The staged records of clean files, from `table` (_read_clean): the same columns _records_query gives."""
    paths, params, _ = _mapped_fields(spec)
    types = _reader_types(spec)

    def field_sql(name: str) -> str:
        top, *rest = name.split(".")
        ref = sql_identifier(top)
        if not rest:
            return ref if types[top] != "JSON" else f"cast({ref} as varchar)"
        if types[top] == "JSON":
            return f"json_extract_string({ref}, {sql_text(json_path('.'.join(rest)))})"
        return ref + "".join(f".{sql_identifier(part)}" for part in rest)

    fields = [f"nullif(trim({field_sql(name)}), '') as {sql_identifier('s:' + name)}" for name in paths]
    fields += _param_fields(params)
    files = ", ".join(
        f"({sql_text(str(path))}, {sql_text(relative)}, {sql_text(path.name)}, {first})"
        for relative, (path, first) in clean.items()
    )
    params_sql = _params_sql(f'"{GA4_PARAMS_KEY}"') if params else "null"
    src = f"""src as (
                select f._source_file, f._file_name, cast(c.rowid - f._first + 1 as varchar) as _row_number,
                       cast(c.rowid - f._first + 1 as varchar) as _line_number, cast(null as varchar) as _raw_record,
                       cast(null as varchar) as _structural, cast(null as varchar) as "{EXTRA_COLUMN}",
                       {', '.join(fields) or 'null as "s:"'}
                from (select *, rowid, {params_sql} as _params from {table}) as c
                join (values {files}) as f(_path, _source_file, _file_name, _first) on c.{CLEAN_PATH_COLUMN} = f._path
            )"""
    return f"with {src}\n" + _final_select(spec, "_file_name")


def _line_reader(path: Path, rejects: tuple[str, str] | None = None) -> str:
    """read_csv of a JSON lines file as one text column; unreadable lines kept in the tables
    `rejects` names (rejected lines, scans), or skipped when none are given (a sample)."""
    compression = ", compression = 'gzip'" if is_gzip(path) else ""
    errors = ("ignore_errors = true" if rejects is None else
              f"store_rejects = true, rejects_table = '{rejects[0]}', rejects_scan = '{rejects[1]}'")
    return (f"read_csv('{sql_path(path)}', columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false, "
            f"delim = '', quote = '', escape = '', max_line_size = {MAX_JSON_LINE_BYTES}, {errors}{compression})")


class ParquetStager(OneFileAtATime):
    """A Parquet file, each row read as a JSON object (so nested records read as in JSON lines)."""

    def stage_one(self, conn, spec: TableSpec, path: Path, relative: str, scratch: Scratch) -> tuple[str, Staged]:
        return _stage_parquet(conn, spec, path, relative)


def _stage_parquet(conn, spec: TableSpec, path: Path, relative: str) -> tuple[str, Staged]:
    try:
        names = [row[0] for row in conn.execute(f"describe select * from read_parquet('{sql_path(path)}')").fetchall()]
    except duckdb.Error as exc:
        raise FileRejected(f"not a readable Parquet file: {str(exc).splitlines()[0]}") from exc
    record = ", ".join(f"{sql_text(name)}: \"{name.replace(chr(34), chr(34) * 2)}\"" for name in names)
    numbered = f"""numbered as (
            select {sql_text(relative)} as _source_file, {sql_text(path.name)} as _file_name,
                   file_row_number + 1 as _line_number, cast(to_json({{{record}}}) as varchar) as line
            from read_parquet('{sql_path(path)}', file_row_number = true)
        )"""
    top_level = _top_level(spec)
    staged = Staged()
    seen = {row[0] for row in conn.execute(
        f"""with {numbered}, sample as (select line from numbered limit {DRIFT_SAMPLE})
            select distinct unnest(json_keys(line)) from sample"""
    ).fetchall()}
    _check_fields(spec, seen, top_level, staged)
    return _records_query(spec, numbered, "_file_name"), staged



def parquet_fields(conn, spec: TableSpec, path: Path) -> list[str] | None:
    """The Parquet file's top-level columns (its schema: a column is there even when all NULL)."""
    try:
        return [row[0] for row in conn.execute(f"describe select * from read_parquet('{sql_path(path)}')").fetchall()]
    except duckdb.Error:
        return None


def _mapped_fields(spec: TableSpec) -> tuple[list[str], list[str], list[str]]:
    """The record fields the mapping reads: JSON paths, GA4 `param:` keys, and what is extracted
    (the paths, plus the event_params list when any param is read)."""
    inputs = [name for name in spec.inputs if name not in PSEUDO_COLUMNS]
    paths = [name for name in inputs if not name.startswith(PARAM_PREFIX)]
    params = [name for name in inputs if name.startswith(PARAM_PREFIX)]
    return paths, params, paths + ([GA4_PARAMS_KEY] if params else [])


def _top_level(spec: TableSpec) -> set[str]:
    return {name.split(".")[0] for name in _mapped_fields(spec)[2]}


def _records_query(spec: TableSpec, numbered: str, file_name_column: str,
                   rejects: str = "select null, null::bigint, null::varchar, null::varchar where false"
                   ) -> str:
    """`numbered` is CTE text defining `numbered(_source_file, _file_name, _line_number, line)` and `rejects`
    selects unreadable lines as (file, line number, text, error): the query staging each line's record."""
    paths, params, extract = _mapped_fields(spec)
    top_level = _top_level(spec)
    fields = [f"nullif(trim(_fields[{i + 1}]), '') as {sql_identifier('s:' + name)}" for i, name in enumerate(paths)]
    fields += _param_fields(params)
    params_sql = _params_sql(f"_fields[{len(paths) + 1}]") if params else "null"
    if spec.extra == "keep":
        removed = sql_text("{" + ", ".join(f'"{k}": null' for k in sorted(top_level)) + "}")
        extra = f"nullif(cast(json_merge_patch(line, {removed}) as varchar), '{{}}')"
    else:
        extra = "cast(null as varchar)"
    path_list = ", ".join(sql_text(json_path(p)) for p in extract) or "'$.__none__'"
    query = f"""
            with {numbered},
            parsed as (
                select _source_file, _file_name, _line_number, line,
                       case when not json_valid(line) then 'invalid JSON'
                            -- valid JSON that starts with a brace is an object (no second parse to ask)
                            when left(ltrim(line, ' ' || chr(9) || chr(13)), 1) <> '{{'
                            then 'a JSON line is not an object' end as _structural
                from numbered
            ), extracted as (
                select *, case when _structural is null then json_extract_string(line, [{path_list}]) end as _fields
                from parsed
            ), with_params as (
                select *, {params_sql} as _params from extracted
            ), src as (
                select _source_file, _file_name, cast(_line_number as varchar) as _row_number,
                       cast(_line_number as varchar) as _line_number, line as _raw_record, _structural,
                       case when _structural is null then {extra} end as "{EXTRA_COLUMN}",
                       {', '.join(fields) or 'null as "s:"'}
                from with_params
            )
            {_final_select(spec, file_name_column)}
            union all
            select r.file, cast(r.line as varchar), cast(r.line as varchar), r.csv_line,
                   'unreadable line: ' || r.error_message, {', '.join(['null'] * (len(spec.columns) + 2))}
            from ({rejects}) as r(file, line, csv_line, error_message)"""
    return query


def _param_fields(params: list[str]) -> list[str]:
    """A `param:<key>` column: the value of that key in the record's GA4 parameters (`_params`)."""
    return [
        f"nullif(trim(list_filter(_params, p -> p.k = {sql_text(name.removeprefix(PARAM_PREFIX))})[1].v), '') "
        f"as {sql_identifier('s:' + name)}"
        for name in params
    ]


def _params_sql(event_params_json: str) -> str:
    """GA4's event_params list (JSON) as key/value pairs, parsed once per record."""
    return f"""list_transform(try_cast({event_params_json} as {GA4_PARAMS}), p -> {{
                'k': p.key,
                'v': coalesce(p.value.string_value, p.value.int_value, p.value.double_value, p.value.float_value)
            }})"""


def _final_select(spec: TableSpec, file_name_column: str) -> str:
    """The staged columns, the canonical ones mapped from the `src` CTE's "s:<field>" columns."""

    def column_sql(name: str) -> str:
        if name in PSEUDO_COLUMNS:  # "_row_number": the staged column of that name
            return file_name_column if name == FILE_NAME_COLUMN else None
        return sql_identifier(f"s:{name}")

    selects, _ = mapped_columns(spec, column_sql, [], "field")
    return f"""select _source_file, _row_number, _line_number, _raw_record, _structural, {', '.join(selects)},
                   "{EXTRA_COLUMN}"
            from src"""


def _check_fields(spec: TableSpec, seen: set[str], top_level: set[str], staged: Staged) -> None:
    """Schema drift, from the fields `seen` in a file's first records: report fields the mapping does not know;
    reject the file when a required field is in none of them (renamed or removed in the export)."""
    if not seen:
        return
    missing = []
    for column in (c for c in spec.columns if c.required):
        fields = [n for n in column.inputs if n not in PSEUDO_COLUMNS and not n.startswith(PARAM_PREFIX)]
        absent = [n for n in fields if n.split(".")[0] not in seen]
        if column.fallback:
            continue  # staging uses the fallback column where this one is NULL
        if absent and (column.expr is None or len(absent) == len(column.inputs)):
            missing.append((column, absent))
    if missing:
        raise FileRejected(missing_message(spec, missing, sorted(seen), "field"))
    # JSON exports leave NULL fields out, so a field absent from the first records proves nothing:
    # a hint in the report, where the CSV and Parquet loads reject (their header is the schema)
    for name in (n for n in spec.inputs if n not in PSEUDO_COLUMNS and not n.startswith(PARAM_PREFIX)):
        if name.split(".")[0] not in seen:
            close = difflib.get_close_matches(name.split(".")[0], sorted(seen), n=1, cutoff=0.6)
            staged.notes.append(f"field {name!r} is in none of the first {DRIFT_SAMPLE} records"
                                + (f" (closest field: {close[0]!r})" if close else "") + ": NULL where absent")
    unknown = sorted(seen - top_level)
    if unknown:
        staged.extra_columns = unknown
        kept = "kept in _extra" if spec.extra == "keep" else "dropped (extra: drop)"
        staged.notes.append(f"{len(unknown)} field(s) not in the mapping, {kept}: " + ", ".join(map(repr, unknown)))
