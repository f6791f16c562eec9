"""JSON lines and Parquet exports -> `_landing`, entirely in DuckDB.

JSON lines: DuckDB reads each line as text, in parallel; the row number is the line number and a
blank line (JSON whitespace only) is no row; an invalid JSON line or bad encoding is staged with its reason. Parquet: each
row becomes a JSON object (so GA4's nested records and event_params are read the same way from
either export) numbered by its row in the file. Each record is parsed once: one
json_extract_string over every mapped path, and GA4's event_params list once, into key/value pairs
that each `param:<key>` column picks from.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .config import TableSpec
from .staging import (EXTRA_COLUMN, FILE_NAME_COLUMN, MAX_LINE_BYTES, RAW_RECORD_LIMIT, FileRejected, Staged, is_gzip, mapped_columns,
                      missing_message, sql_path, sql_text)

GA4_PARAMS = ("STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value VARCHAR, double_value VARCHAR, "
              "float_value VARCHAR))[]")
GA4_PARAMS_KEY = "event_params"
PARAM_PREFIX = "param:"
DRIFT_SAMPLE = 1000  # lines looked at for fields the mapping does not know, or no longer finds


def json_path(dotted: str) -> str:
    return "$." + ".".join('"' + part.replace('"', "").replace("'", "") + '"' for part in dotted.split("."))


def stage_ndjson(conn, spec: TableSpec, path: Path, scratch: Path) -> Staged:
    conn.execute("drop table if exists _line_rejects")
    conn.execute("drop table if exists _line_reject_scans")
    compression = ", compression = 'gzip'" if is_gzip(path) else ""
    conn.execute(
        f"""create or replace temp table _lines as
            select ordinality as _ordinal, line
            from read_csv('{sql_path(path)}', columns = {{'line': 'VARCHAR'}}, header = false,
                 auto_detect = false, delim = '', quote = '', escape = '', max_line_size = {MAX_LINE_BYTES},
                 store_rejects = true, rejects_table = '_line_rejects', rejects_scan = '_line_reject_scans'{compression})
            with ordinality"""
    )
    # A line DuckDB could not read (bad encoding) is missing from _lines: shift the ordinals after it.
    unreadable = conn.execute("select count(*) from _line_rejects").fetchone()[0]
    line_number = (
        "_ordinal + (select count(*) from rejected r where r.line - r.nth < _ordinal)" if unreadable else "_ordinal"
    )
    numbered = f"""
        rejected as (select line, row_number() over (order by line) as nth from _line_rejects),
        numbered as (
            select {line_number} as _line_number, line from _lines where line is not null and trim(line, ' ' || chr(9) || chr(13)) <> ''
        )"""
    rejects = "select line, csv_line, error_message from _line_rejects"
    try:
        return _stage_records(conn, spec, numbered, rejects, path.name)
    finally:
        conn.execute("drop table if exists _lines")


def stage_parquet(conn, spec: TableSpec, path: Path, scratch: Path) -> Staged:
    try:
        names = [row[0] for row in conn.execute(f"describe select * from read_parquet('{sql_path(path)}')").fetchall()]
        record = ", ".join(f"{sql_text(name)}: \"{name.replace(chr(34), chr(34) * 2)}\"" for name in names)
        conn.execute(
            f"""create or replace temp table _lines as
                select file_row_number + 1 as _line_number, cast(to_json({{{record}}}) as varchar) as line
                from read_parquet('{sql_path(path)}', file_row_number = true)"""
        )
    except duckdb.Error as exc:
        raise FileRejected(f"not a readable Parquet file: {str(exc).splitlines()[0]}") from exc
    numbered = "numbered as (select _line_number, line from _lines)"
    rejects = "select null::bigint, null::varchar, null::varchar where false"
    try:
        return _stage_records(conn, spec, numbered, rejects, path.name)
    finally:
        conn.execute("drop table if exists _lines")


def _stage_records(conn, spec: TableSpec, numbered: str, rejects: str, file_name: str) -> Staged:
    """`numbered` is CTE text defining `numbered(_line_number, line)`; `rejects` selects unreadable
    lines as (line number, text, error)."""
    staged = Staged()
    inputs = list(dict.fromkeys(name for c in spec.columns for name in c.inputs if name != FILE_NAME_COLUMN))
    paths = [name for name in inputs if not name.startswith(PARAM_PREFIX)]
    params = [name for name in inputs if name.startswith(PARAM_PREFIX)]
    extract = paths + ([GA4_PARAMS_KEY] if params else [])
    top_level = {name.split(".")[0] for name in extract}
    _check_fields(conn, spec, top_level, staged)

    def column_sql(name: str) -> str:
        return sql_text(file_name) if name == FILE_NAME_COLUMN else f'"s:{name}"'

    selects, notes = mapped_columns(spec, column_sql, [], "field")
    staged.notes += notes
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
    conn.execute(
        f"""create or replace temp table _landing as
            with {numbered},
            parsed as (
                select _line_number, line,
                       case when not json_valid(line) then 'invalid JSON'
                            when json_type(line) <> 'OBJECT' then 'a JSON line is not an object' end as _structural
                from numbered
            ), extracted as (
                select *, case when _structural is null then json_extract_string(line, [{path_list}]) end as _fields
                from parsed
            ), with_params as (
                select *, {params_sql} as _params from extracted
            ), src as (
                select cast(_line_number as varchar) as _row_number, cast(_line_number as varchar) as _line_number,
                       left(line, {RAW_RECORD_LIMIT}) as _raw_record, _structural,
                       case when _structural is null then {extra} end as "{EXTRA_COLUMN}",
                       {', '.join(fields) or 'null as "s:"'}
                from with_params
            )
            select _row_number, _line_number, _raw_record, _structural, {', '.join(selects)}, "{EXTRA_COLUMN}"
            from src
            union all
            select cast(r.line as varchar), cast(r.line as varchar), left(r.csv_line, {RAW_RECORD_LIMIT}),
                   'unreadable line: ' || r.error_message, {', '.join(['null'] * (len(selects) + 1))}
            from ({rejects}) as r(line, csv_line, error_message)"""
    )
    return staged


def _check_fields(conn, spec: TableSpec, top_level: set[str], staged: Staged) -> None:
    """Schema drift, from the first records (of `_lines`): report fields the mapping does not know; reject the file
    when a required field is in none of them (renamed or removed in the export)."""
    seen = {
        row[0] for row in conn.execute(
            f"""with sample as (select line from _lines limit {DRIFT_SAMPLE})
                select distinct unnest(json_keys(line)) from sample
                where json_valid(line) and json_type(line) = 'OBJECT'"""
        ).fetchall()
    }
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
