"""Great Expectations suites (files under expectations/gx) run on tables of the warehouse.

GX's SQL path against DuckDB returns wrong results, so a table is read with DuckDB into a
DataFrame (a repeatable sample when it is large) and validated through GX's pandas datasource.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .settings import PROJECT_DIR

GX_ROOT = PROJECT_DIR / "expectations"
SAMPLE_ROWS = 500_000  # a DataFrame larger than this costs more memory than its checks are worth


@dataclass
class Failure:
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None
    sample: list

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        count = f": {self.unexpected_count} unexpected" if self.unexpected_count else ""
        return f"{self.expectation}{where}{count} (e.g. {self.sample[:3]})"


@dataclass
class SuiteOutcome:
    suite: str
    table: str
    rows_checked: int
    evaluated: int
    failures: list[Failure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Only failures of critical expectations block; warnings are reported."""
        return not any(f.severity == "critical" for f in self.failures)


def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # imported late: it is slow to import and only checks need it

    return gx.get_context(mode="file", project_root_dir=str(GX_ROOT))


def read_table(conn: duckdb.DuckDBPyConnection, relation: str):
    rows = conn.execute(f"select count(*) from {relation}").fetchone()[0]
    sample = f" using sample reservoir({SAMPLE_ROWS} rows) repeatable (7)" if rows > SAMPLE_ROWS else ""
    return conn.execute(f"select * from {relation}{sample}").df()


def validate(suite_name: str, asset_name: str, frame, reports_dir: Path | None = None) -> SuiteOutcome:
    context = _context()
    suite = context.suites.get(suite_name)
    batch_definition = (
        context.data_sources.get("warehouse").get_asset(asset_name).get_batch_definition("whole_table")
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format="SUMMARY")
    outcome = SuiteOutcome(suite_name, asset_name, len(frame), len(result.results))
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        outcome.failures.append(
            Failure(
                expectation=config.type,
                column=config.kwargs.get("column"),
                severity=str(getattr(config, "severity", "critical")).split(".")[-1].lower(),
                unexpected_count=(item.result or {}).get("unexpected_count"),
                sample=[_jsonable(v) for v in (item.result or {}).get("partial_unexpected_list", [])[:5]],
            )
        )
    if reports_dir is not None:
        reports_dir.mkdir(parents=True, exist_ok=True)
        (reports_dir / f"{suite_name}.json").write_text(json.dumps(result.to_json_dict(), indent=2, default=str))
    return outcome


def _jsonable(value):
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
