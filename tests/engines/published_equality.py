"""Two published files hold the same tables: same columns and types, same rows.

Floating-point columns may differ within FLOAT_REL_TOL (relative) or FLOAT_ABS_TOL (absolute):
engines sum in different orders and their sqrt/ln may differ in the last bits. Everything else
(integers, text, booleans, dates, timestamps, NULLs) must be exactly equal.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

FLOAT_REL_TOL = 1e-9
FLOAT_ABS_TOL = 1e-9
FLOAT_TYPES = ("DOUBLE", "FLOAT")
NOT_DATA = ("publish_info",)  # names the run and its time: differs between any two publishes
# When the warehouse loaded a table: its history, not its data (two nights load at two times).
LOAD_HISTORY = {"mart_coverage": ("last_new_rows_at",)}


def _tables(conn, database: str) -> dict[str, list[tuple[str, str]]]:
    rows = conn.execute(
        """select table_name, column_name, data_type from duckdb_columns()
           where database_name = ? and schema_name = 'main' order by table_name, column_index""",
        [database],
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        if table not in NOT_DATA and column not in LOAD_HISTORY.get(table, ()):
            tables.setdefault(table, []).append((column, kind))
    return tables


def _sorted_rows(conn, database: str, table: str, columns: list[tuple[str, str]]) -> list[tuple]:
    exact = [f'"{name}"' for name, kind in columns if kind not in FLOAT_TYPES]
    floats = [f'round("{name}", 6)' for name, kind in columns if kind in FLOAT_TYPES]
    order = ", ".join(f"{key} nulls first" for key in exact + floats)
    selected = ", ".join(f'"{name}"' for name, _ in columns)
    return conn.execute(f'select {selected} from {database}.main."{table}" order by {order}').fetchall()


def _same(a, b, is_float: bool) -> bool:
    if a is None or b is None or not is_float:
        return a == b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=FLOAT_REL_TOL, abs_tol=FLOAT_ABS_TOL)


def differences(expected: Path, actual: Path, limit: int = 5) -> list[str]:
    """What differs between two published files; empty when they are equal."""
    problems: list[str] = []
    with duckdb.connect() as conn:
        conn.execute(f"attach '{expected}' as expected (read_only)")
        conn.execute(f"attach '{actual}' as actual (read_only)")
        want, got = _tables(conn, "expected"), _tables(conn, "actual")
        if sorted(want) != sorted(got):
            problems.append(f"tables differ: missing {sorted(set(want) - set(got))}, extra {sorted(set(got) - set(want))}")
        for table in sorted(set(want) & set(got)):
            if want[table] != got[table]:
                problems.append(f"{table}: columns differ: {want[table]} != {got[table]}")
                continue
            columns = want[table]
            rows_want = _sorted_rows(conn, "expected", table, columns)
            rows_got = _sorted_rows(conn, "actual", table, columns)
            if len(rows_want) != len(rows_got):
                problems.append(f"{table}: {len(rows_want)} rows != {len(rows_got)} rows")
                continue
            floats = [kind in FLOAT_TYPES for _, kind in columns]
            bad = [(i, a, b) for i, (a, b) in enumerate(zip(rows_want, rows_got))
                   if not all(_same(x, y, f) for x, y, f in zip(a, b, floats))]
            for i, a, b in bad[:limit]:
                cells = [f"{name}: {x!r} != {y!r}" for (name, _), x, y, f in zip(columns, a, b, floats)
                         if not _same(x, y, f)]
                problems.append(f"{table} row {i}: " + "; ".join(cells))
            if len(bad) > limit:
                problems.append(f"{table}: {len(bad) - limit} more differing rows")
    return problems


def table_count(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as conn:
        return len(_tables(conn, conn.execute("select current_database()").fetchone()[0]))
