"""The row-level expectations of a raw suite, evaluated as DuckDB SQL over every row of the table.

Great Expectations validates a DataFrame, and a raw table larger than quality.SAMPLE_ROWS reaches
it as a sample: one bad event in 5 M would be caught one night in ten. So the expectations that
judge single rows (not null, between, in set, regex, column pair, compound unique) and the row
count are compiled here into one aggregate query, a single scan of the table, and only the
expectations about distributions (a `mostly` below 1) and the table's shape stay with GX on the
sample. A failed expectation fetches a few offending rows, with PII columns masked by the caller's
`private` set, so the report names the file and row of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .ingestion.staging import sql_identifier as quoted

if TYPE_CHECKING:  # only a connection's type: loading the definitions (quality.py) needs no DuckDB
    import duckdb

NOT_NULL = "expect_column_values_to_not_be_null"
BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"
REGEX = "expect_column_values_to_match_regex"
PAIR_GREATER = "expect_column_pair_values_a_to_be_greater_than_b"
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"
ROW_COUNT = "expect_table_row_count_to_be_between"
# NaN compares greater than every number in DuckDB, so a lower bound alone would let it through
FLOATS = frozenset({"DOUBLE", "FLOAT", "REAL"})
ROW_LEVEL = frozenset({NOT_NULL, BETWEEN, IN_SET, REGEX, PAIR_GREATER, COMPOUND_UNIQUE, ROW_COUNT})


@dataclass(frozen=True)
class RowCheck:
    """One expectation as SQL: `bad` is true for an offending row (None for the whole-table checks)."""

    expectation: str
    column: str | None
    severity: str
    bad: str | None
    parameters: tuple
    aggregate: str  # the failure count over the table


def is_row_level(config) -> bool:
    """Whether an expectation (its configuration) judges rows one by one, every row to pass: one with
    a `mostly` below 1 is about a distribution, and stays with GX."""
    mostly = config.kwargs.get("mostly")
    return config.type in ROW_LEVEL and (mostly is None or float(mostly) >= 1)


def _value(value, parameters: dict):
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def compile_check(config, severity: str, parameters: dict, column_types: dict[str, str]) -> RowCheck:
    """A row-level expectation (its configuration) as SQL; `parameters` resolve {"$PARAMETER": name}
    bounds, `column_types` are the table's DuckDB types by column."""
    kwargs, kind = config.kwargs, config.type
    column = kwargs.get("column")
    col = quoted(column) if column else None
    if kind == NOT_NULL:
        bad, values = f"{col} is null", ()
    elif kind == BETWEEN:
        low, high = _value(kwargs.get("min_value"), parameters), _value(kwargs.get("max_value"), parameters)
        tests, values = [], []
        if low is not None:
            tests.append(f"{col} {'<=' if kwargs.get('strict_min') else '<'} ?")
            values.append(low)
        if high is not None:
            tests.append(f"{col} {'>=' if kwargs.get('strict_max') else '>'} ?")
            values.append(high)
        if not tests:  # no bound: nothing to judge row by row
            return RowCheck(kind, column, severity, "false", (), "0")
        # GX leaves missing values to the not-null expectations; NaN is never within a range
        if column_types.get(column) in FLOATS:
            tests.append(f"isnan({col})")
        bad = f"{col} is not null and ({' or '.join(tests)})"
        values = tuple(values)
    elif kind == IN_SET:
        codes = list(_value(kwargs.get("value_set"), parameters) or [])
        bad, values = f"{col} is not null and not list_contains(?, {col}::varchar)", ([str(c) for c in codes],)
    elif kind == REGEX:
        bad, values = f"{col} is not null and not regexp_matches({col}::varchar, ?)", (kwargs["regex"],)
    elif kind == PAIR_GREATER:
        a, b = quoted(kwargs["column_A"]), quoted(kwargs["column_B"])
        operator = "<" if kwargs.get("or_equal") else "<="
        missing = kwargs.get("ignore_row_if", "both_values_are_missing")
        skip = f"({a} is null or {b} is null)" if missing == "either_value_is_missing" else f"({a} is null and {b} is null)"
        bad, values = f"not {skip} and coalesce({a} {operator} {b}, true)", ()
        column = f"{kwargs['column_A']},{kwargs['column_B']}"
    elif kind == COMPOUND_UNIQUE:
        columns = ", ".join(quoted(c) for c in kwargs["column_list"])
        return RowCheck(kind, ",".join(kwargs["column_list"]), severity, None, (),
                        f"count(*) - count(distinct ({columns}))")
    elif kind == ROW_COUNT:
        low, high = _value(kwargs.get("min_value"), parameters), _value(kwargs.get("max_value"), parameters)
        tests = ([f"count(*) < {int(low)}"] if low is not None else []) + \
                ([f"count(*) > {int(high)}"] if high is not None else [])
        return RowCheck(kind, None, severity, None, (), f"case when {' or '.join(tests) or 'false'} then 1 else 0 end")
    else:
        raise ValueError(f"{kind} is not a row-level expectation")
    return RowCheck(kind, column, severity, bad, values, f"count(*) filter (where {bad})")


@dataclass
class RowCheckResult:
    check: RowCheck
    unexpected_count: int
    sample: list
    rows: list[dict]


def run(conn: duckdb.DuckDBPyConnection, relation: str, checks: list[RowCheck], private: frozenset[str],
        offenders: int = 5) -> tuple[int, list[RowCheckResult]]:
    """Every check over every row of `relation` in one scan; (rows, the failed checks with up to
    `offenders` offending rows each, PII columns masked)."""
    if not checks:
        return conn.execute(f"select count(*) from {relation}").fetchone()[0], []
    select = ", ".join(["count(*)", *(c.aggregate for c in checks)])
    values = [v for c in checks for v in c.parameters]
    counts = conn.execute(f"select {select} from {relation}", values).fetchone()
    rows, failed = counts[0], []
    for check, count in zip(checks, counts[1:]):
        if not count:
            continue
        failed.append(RowCheckResult(check, int(count) if check.expectation != ROW_COUNT else rows,
                                     *_offenders(conn, relation, check, private, offenders)))
    return rows, failed


def _offenders(conn, relation: str, check: RowCheck, private: frozenset[str], limit: int) -> tuple[list, list[dict]]:
    """Sample values and whole rows of a failed check, the checked columns first, PII masked."""
    if check.expectation == ROW_COUNT:
        return [], []
    if check.expectation == COMPOUND_UNIQUE:
        keys = [quoted(c) for c in check.column.split(",")]
        where = (f"({', '.join(keys)}) in (select ({', '.join(keys)}) from {relation} "
                 f"group by all having count(*) > 1)")
        result = conn.execute(f"select * from {relation} where {where} order by {', '.join(keys)} limit {limit}")
    else:
        result = conn.execute(f"select * from {relation} where {check.bad} limit {limit}", list(check.parameters))
    names = [d[0] for d in result.description]
    leading = [c for c in (check.column or "").split(",") if c in names]
    order = leading + [c for c in names if c not in leading]
    records = [dict(zip(names, values)) for values in result.fetchall()]
    rows = [{c: _masked(c, record[c], private) for c in order} for record in records]
    sample = [_masked(leading[0], record[leading[0]], private) for record in records] if len(leading) == 1 else \
        [{c: _masked(c, record[c], private) for c in leading} for record in records]
    return sample, rows


def _masked(column: str, value, private: frozenset[str]):
    from .quality import _jsonable, mask  # one masking rule for GX's rows and these

    return mask(value) if column in private else _jsonable(value)
