"""JSON lines and Parquet exports -> staged rows, entirely in DuckDB.

JSON lines: all the files of a load are read in one query, each line as text, in parallel; the row
number is the line number in its file and a blank line (JSON whitespace only) is no row; an invalid
JSON line or bad encoding is staged with its reason. Parquet: each row becomes a JSON object (so
GA4's nested records and event_params are read the same way from either export) numbered by its
row in the file. Each record is parsed once: one json_extract_string over every mapped path, and
GA4's event_params list once, into key/value pairs that each `param:<key>` column picks from.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .config import TableSpec
from .staging import (EXTRA_COLUMN, FILE_NAME_COLUMN, RAW_RECORD_LIMIT, FileRejected, Staged, StagedBatch,
                      is_gzip, mapped_columns, missing_message, one_file_at_a_time, sql_path, sql_text)

GA4_PARAMS = ("STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value VARCHAR, double_value VARCHAR, "
              "float_value VARCHAR))[]")
GA4_PARAMS_KEY = "event_params"
PARAM_PREFIX = "param:"
DRIFT_SAMPLE = 1000  # lines looked at for fields the mapping does not know, or no longer finds
# A longer line is quarantined as unreadable. Each file's scan buffers a multiple of this, and a
# load scans many files at once: 16 MiB is ~10,000 GA4 events on one line.
MAX_JSON_LINE_BYTES = 16 * 1024 * 1024
SAMPLED_TOGETHER = 8  # files whose first lines are read by one query (each holds its scan buffer)


def json_path(dotted: str) -> str:
    return "$." + ".".join('"' + part.replace('"', "").replace("'", "") + '"' for part in dotted.split("."))


def stage_ndjson(conn, spec: TableSpec, files: list[tuple[Path, str]], scratch: Path) -> StagedBatch:
    """All the files in one query: each file's lines are read (in parallel) and numbered by their
    own scan, then every line is parsed once, whichever file it came from."""
    batch = StagedBatch()
    readers = {relative: _line_reader(path, i) for i, (path, relative) in enumerate(files)}
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
    # The lines are read file by file (each scan numbers its own lines), into one table that the
    # parse then reads with every thread: parsing inside each small file's scan would run on one.
    conn.execute(
        "create or replace temp table _lines as "
        + " union all ".join(
            f"""select {sql_text(relative)} as _source_file, {sql_text(path.name)} as _file_name,
                       ordinality as _line_number, line
                from {readers[relative]} with ordinality"""
            for _, path, relative in loadable
        )
    )
    batch.cleanup.append("drop table if exists _lines")
    for i, _, _ in loadable:
        batch.cleanup += [f"drop table if exists _line_rejects_{i}", f"drop table if exists _line_reject_scans_{i}"]
    counts = conn.execute(
        " union all ".join(f"select {i}, count(*) from _line_rejects_{i}" for i, _, _ in loadable)
    ).fetchall()
    unreadable = [(i, relative) for (i, n), (_, _, relative) in zip(counts, loadable) if n]
    # A line DuckDB could not read (bad encoding) is missing from its scan, which numbered the
    # lines after it one too low; the line itself is staged with its reason.
    for i, relative in unreadable:
        conn.execute(
            f"""update _lines set _line_number = _line_number + (
                    select count(*) from (select line, row_number() over (order by line) as nth from _line_rejects_{i}) r
                    where r.line - r.nth < _lines._line_number)
                where _source_file = {sql_text(relative)}"""
        )
    rejects = " union all ".join(
        f"select {sql_text(relative)}, line, csv_line, error_message from _line_rejects_{i}" for i, relative in unreadable
    ) or "select null, null::bigint, null::varchar, null::varchar where false"
    numbered = """numbered as (
            select _source_file, _file_name, _line_number, line from _lines
            where line is not null and trim(line, ' ' || chr(9) || chr(13)) <> ''
        )"""
    batch.query, notes = _records_query(spec, numbered, "_file_name", rejects)
    for relative in batch.notes:
        batch.notes[relative] += notes
    return batch


def _line_reader(path: Path, i: int | None = None) -> str:
    """read_csv of a JSON lines file as one text column; unreadable lines kept in `_line_rejects_<i>`,
    or skipped when no `i` is given (a sample)."""
    compression = ", compression = 'gzip'" if is_gzip(path) else ""
    errors = ("ignore_errors = true" if i is None else
              f"store_rejects = true, rejects_table = '_line_rejects_{i}', rejects_scan = '_line_reject_scans_{i}'")
    return (f"read_csv('{sql_path(path)}', columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false, "
            f"delim = '', quote = '', escape = '', max_line_size = {MAX_JSON_LINE_BYTES}, {errors}{compression})")


def _stage_parquet(conn, spec: TableSpec, path: Path, relative: str, scratch: Path) -> tuple[str, Staged]:
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
    query, notes = _records_query(spec, numbered, "_file_name")
    staged.notes += notes
    return query, staged


stage_parquet = one_file_at_a_time(_stage_parquet)


def _mapped_fields(spec: TableSpec) -> tuple[list[str], list[str], list[str]]:
    """The record fields the mapping reads: JSON paths, GA4 `param:` keys, and what is extracted
    (the paths, plus the event_params list when any param is read)."""
    inputs = list(dict.fromkeys(name for c in spec.columns for name in c.inputs if name != FILE_NAME_COLUMN))
    paths = [name for name in inputs if not name.startswith(PARAM_PREFIX)]
    params = [name for name in inputs if name.startswith(PARAM_PREFIX)]
    return paths, params, paths + ([GA4_PARAMS_KEY] if params else [])


def _top_level(spec: TableSpec) -> set[str]:
    return {name.split(".")[0] for name in _mapped_fields(spec)[2]}


def _records_query(spec: TableSpec, numbered: str, file_name_column: str,
                   rejects: str = "select null, null::bigint, null::varchar, null::varchar where false"
                   ) -> tuple[str, list[str]]:
    """`numbered` is CTE text defining `numbered(_source_file, _file_name, _line_number, line)` and `rejects`
    selects unreadable lines as (file, line number, text, error): the query staging each line's record, and
    notes for the reports."""
    paths, params, extract = _mapped_fields(spec)
    top_level = _top_level(spec)

    def column_sql(name: str) -> str:
        return file_name_column if name == FILE_NAME_COLUMN else f'"s:{name}"'

    selects, notes = mapped_columns(spec, column_sql, [], "field")
    fields = [f"nullif(trim(_fields[{i + 1}]), '') as \"s:{name}\"" for i, name in enumerate(paths)]
    for name in params:
        key = sql_text(name.removeprefix(PARAM_PREFIX))
        fields.append(f"nullif(trim(list_filter(_params, p -> p.k = {key})[1].v), '') as \"s:{name}\"")
    params_sql = (
        f"""list_transform(try_cast(_fields[{len(paths) + 1}] as {GA4_PARAMS}), p -> {{
                'k': p.key,
                'v': coalesce(p.value.string_value, p.value.int_value, p.value.double_value, p.value.float_value)
            }})""" if params else "null"
    )
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
            select _source_file, _row_number, _line_number, _raw_record, _structural, {', '.join(selects)},
                   "{EXTRA_COLUMN}"
            from src
            union all
            select r.file, cast(r.line as varchar), cast(r.line as varchar), r.csv_line,
                   'unreadable line: ' || r.error_message, {', '.join(['null'] * (len(selects) + 1))}
            from ({rejects}) as r(file, line, csv_line, error_message)"""
    return query, notes


def _check_fields(spec: TableSpec, seen: set[str], top_level: set[str], staged: Staged) -> None:
    """Schema drift, from the fields `seen` in a file's first records: report fields the mapping does not know;
    reject the file when a required field is in none of them (renamed or removed in the export)."""
    if not seen:
        return
    missing = []
    for column in (c for c in spec.columns if c.required):
        fields = [n for n in column.inputs if n != FILE_NAME_COLUMN and not n.startswith(PARAM_PREFIX)]
        absent = [n for n in fields if n.split(".")[0] not in seen]
        if absent and (column.expr is None or len(absent) == len(column.inputs)):
            missing.append((column, absent))
    if missing:
        raise FileRejected(missing_message(spec, missing, sorted(seen), "field"))
    unknown = sorted(seen - top_level)
    if unknown:
        staged.extra_columns = unknown
        kept = "kept in _extra" if spec.extra == "keep" else "dropped (extra: drop)"
        staged.notes.append(f"{len(unknown)} field(s) not in the mapping, {kept}: " + ", ".join(map(repr, unknown)))
