"""SQL helpers: literals, categorical draws and the macros every generator query uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb


def lit(value) -> str:
    """A SQL literal for a Python scalar."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):  # a bare 0.1 would be a DECIMAL in DuckDB
        return f"{value!r}::DOUBLE"
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(values: Iterable) -> str:
    return "[" + ", ".join(lit(v) for v in values) + "]"


def pick(draw: str, choices: Sequence[tuple[object, float]]) -> str:
    """CASE mapping a uniform draw in [0, 1) onto weighted choices (weights need not sum to 1)."""
    total = sum(w for _, w in choices)
    cum, arms = 0.0, []
    for value, weight in choices[:-1]:
        cum += weight / total
        arms.append(f"WHEN {draw} < {lit(cum)} THEN {lit(value)}")
    return f"(CASE {' '.join(arms)} ELSE {lit(choices[-1][0])} END)"


def one_of(key: str, row_id: str, values: Sequence) -> str:
    """A uniform pick from a list, drawn from (key, row_id)."""
    return f"{sql_list(values)}[1 + ui('{key}', {row_id}, {len(values)})]"


def csv_line(*exprs: str) -> str:
    """One CSV line: every value quoted only where needed, NULL written as an empty field."""
    return " || ',' || ".join(f"csvq({e})" for e in exprs)


def install_macros(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    # Randomness is a hash of (seed, row id, draw name): the same rows whatever the thread
    # count, and every draw independent of every other.
    con.execute(f"""
        CREATE OR REPLACE MACRO u(key, id) AS
            (hash({int(seed)}::BIGINT, id::BIGINT, key::VARCHAR) % 1000000007) / 1000000007.0;
        CREATE OR REPLACE MACRO ui(key, id, n) AS floor(u(key, id) * n)::BIGINT;
        CREATE OR REPLACE MACRO ts_utc(s) AS strftime(make_timestamp(s * 1000000), '%Y-%m-%d %H:%M:%S');
        CREATE OR REPLACE MACRO ts_local(s, zone) AS
            strftime(timezone(zone, to_timestamp(s)), '%Y-%m-%d %H:%M:%S');
        CREATE OR REPLACE MACRO csvq(x) AS CASE
            WHEN x IS NULL THEN ''
            WHEN regexp_matches(x::VARCHAR, '[",\\r\\n]') THEN '"' || replace(x::VARCHAR, '"', '""') || '"'
            ELSE x::VARCHAR END;
    """)
