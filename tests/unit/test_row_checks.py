"""Row-level expectations as SQL over a real DuckDB table: each kind finds exactly its bad rows."""

from __future__ import annotations

import duckdb
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from orchestration import row_checks


def config(kind: str, **kwargs) -> ExpectationConfiguration:
    return ExpectationConfiguration(type=kind, kwargs=kwargs)


def test_each_row_level_kind_counts_and_shows_only_its_offending_rows():
    conn = duckdb.connect()
    conn.execute("create schema raw")
    conn.execute("""create table raw.t as select * from (values
        (1, 'a', 0.5, 'nps', '20260101', timestamp '2026-01-02', timestamp '2026-01-01', 'Ada'),
        (2, null, 'nan'::double, 'csat', '2026-01-01', timestamp '2026-01-01', timestamp '2026-01-02', 'Grace'),
        (2, 'c', 'inf'::double, 'xyz', null, null, timestamp '2026-01-02', 'Alan')
    ) as v(id, code, amount, kind, day, closed_at, created_at, name)""")
    types = dict(conn.execute("select column_name, data_type from information_schema.columns "
                              "where table_name = 't'").fetchall())
    expectations = [
        config(row_checks.NOT_NULL, column="code"),
        config(row_checks.NOT_NULL, column="code", mostly=0.5),  # a distribution: not row level
        config(row_checks.BETWEEN, column="amount", min_value=0.0, max_value={"$PARAMETER": "top"}),
        config(row_checks.IN_SET, column="kind", value_set=["nps", "csat"]),
        config(row_checks.REGEX, column="day", regex=r"^\d{8}$"),
        config(row_checks.PAIR_GREATER, column_A="closed_at", column_B="created_at", or_equal=True,
               ignore_row_if="either_value_is_missing"),
        config(row_checks.COMPOUND_UNIQUE, column_list=["id"]),
        config(row_checks.ROW_COUNT, min_value=4),
    ]
    row_level = [e for e in expectations if row_checks.is_row_level(e)]
    assert len(row_level) == len(expectations) - 1
    checks = [row_checks.compile_check(e, "critical", {"top": 100.0}, types) for e in row_level]

    rows, failed = row_checks.run(conn, "raw.t", checks, frozenset({"name"}))

    assert rows == 3
    found = {(f.check.expectation, f.check.column): f for f in failed}
    assert {key: f.unexpected_count for key, f in found.items()} == {
        (row_checks.NOT_NULL, "code"): 1,
        (row_checks.BETWEEN, "amount"): 2,  # NaN and infinity
        (row_checks.IN_SET, "kind"): 1,
        (row_checks.REGEX, "day"): 1,
        (row_checks.PAIR_GREATER, "closed_at,created_at"): 1,
        (row_checks.COMPOUND_UNIQUE, "id"): 1,
        (row_checks.ROW_COUNT, None): 3,
    }
    assert found[(row_checks.IN_SET, "kind")].sample == ["xyz"]
    assert [r["day"] for r in found[(row_checks.REGEX, "day")].rows] == ["2026-01-01"]
    assert sorted(r["id"] for r in found[(row_checks.COMPOUND_UNIQUE, "id")].rows) == [2, 2]
    shown = [r for f in failed for r in f.rows]
    assert shown and all(r["name"] == "***" for r in shown)  # the person is masked in every row shown
    assert list(found[(row_checks.BETWEEN, "amount")].rows[0])[0] == "amount"  # the checked column first


def test_a_clean_table_passes_every_check_in_one_query():
    conn = duckdb.connect()
    conn.execute("create schema raw; create table raw.t as select range as id from range(5000)")
    checks = [row_checks.compile_check(config(row_checks.BETWEEN, column="id", min_value=0, max_value=4999),
                                       "critical", {}, {"id": "BIGINT"}),
              row_checks.compile_check(config(row_checks.COMPOUND_UNIQUE, column_list=["id"]), "critical", {}, {})]
    assert row_checks.run(conn, "raw.t", checks, frozenset()) == (5000, [])
