"""Reading the published marts for the report, defensively, table by table.

The report runs after every publish, against whatever that file holds: a table a build did not
produce (an export without activities, a mart not yet written), a column renamed by a later model,
or a journey step the data cannot support must each cost one chart its figure, never the page.
Every read returns either rows or `Absent` with a sentence saying why there is no figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb


@dataclass(frozen=True)
class Absent:
    """No figure for a chart, and the sentence the page shows instead."""

    reason: str


Rows = list[dict]


class PublishedMarts:
    """A read-only view of the published file's tables, its coverage and its run record."""

    def __init__(self, conn: duckdb.DuckDBPyConnection):
        self._conn = conn
        self._columns: dict[str, set[str]] = {}
        for table, column in conn.execute(
            "select table_name, column_name from duckdb_columns() where schema_name = 'main'"
        ).fetchall():
            self._columns.setdefault(table, set()).add(column)
        self._unsupported = self._unsupported_steps()

    def has(self, table: str, *columns: str) -> bool:
        return table in self._columns and set(columns) <= self._columns[table]

    def rows(
        self,
        table: str,
        columns: list[str],
        sql: str | None = None,
        needs_steps: tuple[str, ...] = (),
        params: list | None = None,
        one_row_per: tuple[str, ...] = (),
    ) -> Rows | Absent:
        """Rows of `sql` (default: `select <columns> from <table>`), or why there are none.

        `columns` are the ones the query needs from `table`; `needs_steps` the journey steps
        (mart_coverage's moments) whose absence makes any figure of this chart meaningless;
        `one_row_per` the result's grain: a table of another shape (e.g. a breakdown table where a
        headline one was expected) would be drawn as stacked, multiplied figures, so it draws none.
        """
        if table not in self._columns:
            return Absent(f"The published file has no {table} table, so there is no figure for this.")
        missing = [c for c in columns if c not in self._columns[table]]
        if missing:
            return Absent(f"{table} has no column {', '.join(missing)} in this build, so there is no figure for this.")
        for step in needs_steps:
            if step in self._unsupported:
                return Absent(f"The data cannot support {step}: {self._unsupported[step]}")
        query = sql or f'select {", ".join(columns)} from main."{table}"'
        result = self._conn.execute(query, params or [])
        names = [d[0] for d in result.description]
        rows = [dict(zip(names, (_plain(v) for v in row))) for row in result.fetchall()]
        if not rows:
            return Absent(f"{table} has no rows in this build, so there is no figure for this.")
        if one_row_per and len({tuple(r[c] for c in one_row_per) for r in rows}) < len(rows):
            return Absent(f"{table} has more than one row per {', '.join(one_row_per)} in this build (not the "
                          "one-row-per-figure shape this chart reads), so there is no figure for this.")
        return rows

    def run_record(self) -> dict:
        """Run id, published at and the data's as-of time, from publish_info when it is there."""
        record = {"run_id": None, "published_at": None, "data_as_of": None}
        if self.has("publish_info", "source", "run_id", "published_at", "data_as_of"):
            found = self._conn.execute(
                "select run_id, published_at, data_as_of from main.publish_info where source = 'all'"
            ).fetchone()
            if found:
                record.update(zip(("run_id", "published_at", "data_as_of"), (_plain(v) for v in found)))
        if record["data_as_of"] is None and self.has("mart_time_to_moment", "as_of_at"):
            record["data_as_of"] = _plain(self._conn.execute("select max(as_of_at) from main.mart_time_to_moment").fetchone()[0])
        return record

    def _unsupported_steps(self) -> dict[str, str]:
        if not self.has("mart_coverage", "coverage_kind", "coverage_item", "is_supported", "reason"):
            return {}
        return {
            item: reason or "mart_coverage marks it unsupported."
            for item, reason in self._conn.execute(
                """select coverage_item, reason from main.mart_coverage
                   where coverage_kind = 'moment' and not is_supported"""
            ).fetchall()
        }


def _plain(value):
    """JSON-ready values: charts embed their data in the page."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value
