"""Great Expectations suites (files under expectations/gx) run on tables of the warehouse.

GX's SQL path against DuckDB returns wrong results, so a table is read with DuckDB into a
DataFrame (a sample when it is large) and validated through GX's pandas datasource. A sample would
miss one bad row in millions, so the raw gate (validate_raw_table) runs a raw suite's row-level
expectations as SQL over every row (row_checks.py) and leaves GX the distributions on the sample.
Every result is stored in GX's validation store under the reports folder and rendered as Data
Docs HTML there (reports/gx/data_docs/index.html), so the night's checks can be read afterwards.

A suite is one JSON file. Its `meta.mot` block may say what to validate instead of the table of
the same name (`query`, for totals that must reconcile across tables) and how much the volume of
a raw load may move against the previous load (`volume_band`).

Sample rows never show a person: the columns canonical.yml declares `pii: true` (and `_extra`, the
export's unmapped columns, which may hold anything) are masked in every failure, in the stored
results and in the Data Docs built from them.

A raw suite's value-set expectations are not in its file: they follow the source configuration
the run loads with (canonical.yml `values:`, and a mapping's closed value map), so a custom
mapping is checked against its own codes, never against one vendor's list.
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from . import row_checks
from .settings import PROJECT_DIR, Settings

if TYPE_CHECKING:
    import duckdb

GX_ROOT = PROJECT_DIR / "expectations"
SUITES_DIR = GX_ROOT / "gx" / "expectations"
SAMPLE_ROWS = 500_000  # a DataFrame larger than this costs more memory than its checks are worth
SAMPLE_OFFENDERS = 5
# Timestamps earlier than this are typos or epoch defaults, not history (Settings.earliest_timestamp,
# MOT_EARLIEST_TIMESTAMP, overrides it per deployment).
EARLIEST_TIMESTAMP = Settings.earliest_timestamp


MASK = "***"
# The export's columns the mapping does not use, as JSON: a phone or an address may be among them.
ALWAYS_MASKED = frozenset({"_extra"})


def pii_columns_of(table: str | None, columns) -> frozenset[str]:
    """The columns of a frame to mask: the raw table's `pii: true` columns, plus any column of the
    frame that carries a PII column's name (a suite's query may select from several tables)."""
    from .ingestion.config import pii_columns  # late: quality is imported where ingestion is not needed

    declared = pii_columns()
    names = set(declared.get(table or "", ())) | {c for cols in declared.values() for c in cols}
    return frozenset(str(c) for c in columns if str(c) in names or str(c) in ALWAYS_MASKED)


def mask(value):
    return None if value is None else MASK


@dataclass
class Failure:
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None
    sample: list
    rows: list[dict] = field(default_factory=list)  # sample offending rows, whole rows where known
    detail: str = ""

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        count = f": {self.unexpected_count} unexpected" if self.unexpected_count else ""
        detail = f" [{self.detail}]" if self.detail else ""
        return f"{self.expectation}{where}{count}{detail} (e.g. {self.sample[:3]})"

    def as_dict(self) -> dict:
        return {
            "expectation": self.expectation,
            "column": self.column,
            "severity": self.severity,
            "unexpected_count": self.unexpected_count,
            "sample_values": self.sample,
            "sample_rows": self.rows,
            "detail": self.detail,
        }


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

    def as_dict(self) -> dict:
        return {
            "suite": self.suite,
            "table": self.table,
            "rows_checked": self.rows_checked,
            "expectations": self.evaluated,
            "passed": self.passed,
            "failures": [f.as_dict() for f in self.failures],
        }


_contexts: dict[str, object] = {}


def _context(reports_dir: Path | None = None):
    """The file context, with its validation store and Data Docs site under `reports_dir`.

    great_expectations.yml reads both folders from environment variables, so the suites stay in
    the repository while each warehouse keeps its own results.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    gx_reports = Path(reports_dir) if reports_dir else PROJECT_DIR / "reports" / "gx"
    key = str(gx_reports)
    # Set on every call, not only the first: GX may resolve the substitutions again when it writes.
    os.environ["MOT_GX_VALIDATIONS_DIR"] = str(gx_reports / "validations")
    os.environ["MOT_GX_DATA_DOCS_DIR"] = str(gx_reports / "data_docs")
    if key not in _contexts:
        import great_expectations as gx  # imported late: it is slow to import and only checks need it

        _contexts[key] = gx.get_context(mode="file", project_root_dir=str(GX_ROOT))
    return _contexts[key]


def suite_meta(suite_name: str) -> dict:
    """The project's own settings of a suite (`meta.mot`), read straight from its JSON file."""
    path = SUITES_DIR / f"{suite_name}.json"
    return json.loads(path.read_text()).get("meta", {}).get("mot", {}) if path.exists() else {}


def read_table(conn: duckdb.DuckDBPyConnection, relation: str):
    """The table, or about SAMPLE_ROWS of it: whole vectors (2,048 rows) picked at random (system
    sampling). A row-by-row reservoir copied every row: 16 s at 5 M events, minutes at 50 M."""
    rows = conn.execute(f"select count(*) from {relation}").fetchone()[0]
    sample = f" using sample {100 * SAMPLE_ROWS / rows:.6f}% (system, 7)" if rows > SAMPLE_ROWS else ""
    return conn.execute(f"select * from {relation}{sample}").df()


def read_for_suite(conn: duckdb.DuckDBPyConnection, suite_name: str, relation: str):
    """The frame a suite validates: its `meta.mot.query` when it has one, else the relation."""
    query = suite_meta(suite_name).get("query")
    return conn.execute(query).df() if query else read_table(conn, relation)


def expectation_parameters(earliest_timestamp: str = EARLIEST_TIMESTAMP) -> dict:
    """Values that suites reference as {"$PARAMETER": name}: bounds that move with the clock."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    earliest = datetime.fromisoformat(earliest_timestamp)
    return {
        "now": now,
        "earliest": earliest,
        "now_micros": int(now.replace(tzinfo=timezone.utc).timestamp() * 1_000_000),
        "earliest_micros": int(earliest.replace(tzinfo=timezone.utc).timestamp() * 1_000_000),
        "now_yyyymmdd": now.strftime("%Y%m%d"),
    }


RAW_SUITE_PREFIX = "raw_"
IN_SET = "expect_column_values_to_be_in_set"


def configured_value_sets(spec) -> dict[str, tuple[list[str], str]]:
    """Column -> (allowed values, severity) for one raw table, from its configuration (a TableSpec):
    the canonical codes of an enumerated column (critical: the loader already quarantines anything
    else, so a miss means the raw table and the configuration disagree), or, for a free-text column,
    the codes of a value map with a `default:` (closed: every non-empty value becomes one of them;
    a warning, as the set is the user's). A free-text column without either gets no set."""
    sets: dict[str, tuple[list[str], str]] = {}
    for column in spec.columns:
        if column.allowed is not None:
            sets[column.name] = (list(column.allowed), "critical")
            continue
        closed = [m for m in spec.mappings
                  if next(c for c in m.columns if c.name == column.name).has_default]
        if closed and len(closed) == len([m for m in spec.mappings
                                          if next(c for c in m.columns if c.name == column.name).mapped]):
            codes = {code for m in closed for c in m.columns if c.name == column.name
                     for code in [*(v for _, v in c.values or ()), c.default] if code is not None}
            sets[column.name] = (sorted(codes), "warning")
    return sets


def unmapped_columns(spec) -> set[str]:
    """The canonical columns of a raw table that none of its mappings fills."""
    return {
        column.name for column in spec.columns
        if not any(next(c for c in m.columns if c.name == column.name).mapped for m in spec.mappings)
    }


_configured_specs: dict = {}


def _raw_table_specs() -> dict:
    """The source configuration of this process (as the ingestion assets load it), by raw table."""
    from .ingestion import load_config  # late: quality is imported where ingestion is not needed

    if not _configured_specs:
        _configured_specs.update({spec.raw_table: spec for spec in load_config()})
    return _configured_specs


def with_configured_value_sets(suite, spec):
    """A copy of a raw suite (not saved: the suite file stays as written) whose value-set
    expectations are the configuration's, in place of any the file has, and without the column
    checks of columns the configuration leaves unmapped."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    # a column no mapping fills is NULL by the user's choice (an NPS export names no contact):
    # its column checks would only ever warn about the configuration, not about the data
    unmapped = unmapped_columns(spec)
    kept = [e for e in suite.expectations
            if e.expectation_type != IN_SET and getattr(e, "column", None) not in unmapped]
    generated = [
        gxe.ExpectColumnValuesToBeInSet(column=column, value_set=codes, severity=severity,
                                        meta={"source": "configuration"})
        for column, (codes, severity) in configured_value_sets(spec).items()
    ]
    copy = gx.ExpectationSuite(name=suite.name, meta=suite.meta, notes=suite.notes)
    # appended, not add_expectation(): that would save the copy over the suite's file
    copy.expectations.extend(kept + generated)
    return copy


def _suite(context, suite_name: str, table_spec=None):
    """The suite as the run checks it: a raw suite with the value sets of `table_spec` (the raw
    table's configuration; default: this process's source configuration)."""
    suite = context.suites.get(suite_name)
    if suite_name.startswith(RAW_SUITE_PREFIX):
        spec = table_spec or _raw_table_specs().get(suite_name[len(RAW_SUITE_PREFIX):])
        if spec is not None:
            suite = with_configured_value_sets(suite, spec)
    return suite


def _without_row_level(suite):
    """A copy of the suite (not saved) keeping only what GX judges on a sample: distributions
    (`mostly` below 1), column types and the table's columns."""
    import great_expectations as gx

    copy = gx.ExpectationSuite(name=suite.name, meta=suite.meta, notes=suite.notes)
    copy.expectations.extend(e for e in suite.expectations if not row_checks.is_row_level(e.configuration))
    return copy


def validate(
    suite_name: str,
    asset_name: str,
    frame,
    reports_dir: Path | None = None,
    run_name: str | None = None,
    table_spec=None,
    earliest: str = EARLIEST_TIMESTAMP,
    row_level: bool = True,
) -> SuiteOutcome:
    """Run the suite on the frame. A raw suite gets its value sets from `table_spec` (the raw
    table's configuration; default: this process's source configuration). `row_level=False` leaves
    out the row-level expectations (validate_raw_table runs them in SQL over the whole table)."""
    context = _context(reports_dir)
    suite = _suite(context, suite_name, table_spec)
    if not row_level:
        suite = _without_row_level(suite)
    batch_definition = (
        context.data_sources.get("warehouse").get_asset(asset_name).get_batch_definition("whole_table")
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    try:
        result = batch.validate(suite, result_format="SUMMARY", expectation_parameters=expectation_parameters(earliest))
    finally:
        _release(batch)
    raw_table = suite_name[len(RAW_SUITE_PREFIX):] if suite_name.startswith(RAW_SUITE_PREFIX) else None
    private = pii_columns_of(raw_table, frame.columns)
    mask_result(result, private)
    outcome = SuiteOutcome(suite_name, asset_name, len(frame), len(result.results))
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        details = item.result or {}
        indexes = details.get("partial_unexpected_index_list") or []
        error = (item.exception_info or {}).get("exception_message") if item.exception_info else None
        if not error and isinstance(item.exception_info, dict):
            nested = [v for v in item.exception_info.values() if isinstance(v, dict) and v.get("exception_message")]
            error = nested[0]["exception_message"] if nested else None
        outcome.failures.append(
            Failure(
                expectation=config.type,
                column=config.kwargs.get("column") or _pair(config.kwargs),
                severity=severity_of(config),
                unexpected_count=details.get("unexpected_count"),
                sample=[_jsonable(v) for v in details.get("partial_unexpected_list", [])[:SAMPLE_OFFENDERS]]
                or ([_jsonable(details["observed_value"])] if "observed_value" in details else []),
                rows=_rows(frame, indexes, config.kwargs.get("column") or _pair(config.kwargs), private),
                detail=f"could not evaluate: {error}" if error else "",
            )
        )
    if reports_dir is not None:
        reports_dir = Path(reports_dir)
        reports_dir.mkdir(parents=True, exist_ok=True)
        (reports_dir / f"{suite_name}.json").write_text(json.dumps(result.to_json_dict(), indent=2, default=str))
        _store_and_render(context, result, suite_name, asset_name, run_name)
    return outcome


def _release(batch) -> None:
    """Let go of the frame a validation loaded. GX's pandas execution engine keeps every batch's
    data in its cache for as long as the (cached) context lives: in a night that is each raw and
    mart suite's frame, held by `mot run` until it ends — about 3 GB at 100x (0.6 GB for web
    events' sample alone), resident beside the dbt build that follows."""
    manager = batch.datasource.get_execution_engine().batch_manager
    manager.batch_data_cache.pop(batch.id, None)
    manager.reset_batch_cache()


def validate_raw_table(
    conn: duckdb.DuckDBPyConnection,
    suite_name: str,
    raw_table: str,
    reports_dir: Path | None = None,
    run_name: str | None = None,
    table_spec=None,
    earliest: str = EARLIEST_TIMESTAMP,
) -> SuiteOutcome:
    """The raw gate of one table: the suite's row-level expectations (types of values, ranges,
    timestamps, sets, patterns, keys) as SQL over every row in one scan, so one bad event among
    millions fails it and is named; GX then judges distributions and the table's shape on the
    frame read_for_suite gives (a sample of a large table)."""
    relation = f"raw.{row_checks.quoted(raw_table)}"
    column_types = dict(conn.execute(
        "select column_name, data_type from information_schema.columns where table_schema = 'raw' "
        "and table_name = ? order by ordinal_position", [raw_table]).fetchall())
    suite = _suite(_context(reports_dir), suite_name, table_spec)
    parameters = expectation_parameters(earliest)
    checks = [row_checks.compile_check(e.configuration, severity_of(e.configuration), parameters, column_types)
              for e in suite.expectations if row_checks.is_row_level(e.configuration)]
    rows, failed = row_checks.run(conn, relation, checks, pii_columns_of(raw_table, column_types), SAMPLE_OFFENDERS)
    frame = read_for_suite(conn, suite_name, relation)
    outcome = validate(suite_name, raw_table, frame, reports_dir, run_name, table_spec, earliest, row_level=False)
    outcome.rows_checked = rows
    outcome.evaluated += len(checks)
    outcome.failures[:0] = [
        Failure(expectation=r.check.expectation, column=r.check.column, severity=r.check.severity,
                unexpected_count=r.unexpected_count, sample=r.sample, rows=r.rows,
                detail=f"{rows} rows checked" if r.check.expectation == row_checks.ROW_COUNT else "")
        for r in failed
    ]
    return outcome


def severity_of(config) -> str:
    return str(getattr(config, "severity", "critical")).split(".")[-1].lower()


def volume_failures(conn: duckdb.DuckDBPyConnection, suite_name: str, raw_table: str) -> list[Failure]:
    """The newest load of each file against the previous load, within the suite's `volume_band`.

    A file loaded again (a re-export) is compared with its own previous load; a new file (a new
    daily export) with the median of the table's previous loads. The first load has no baseline.
    """
    band = suite_meta(suite_name).get("volume_band")
    if not band:
        return []
    import duckdb  # late: DuckDB is not needed to load the definitions

    try:
        loads = conn.execute(
            """select source_file, rows_loaded, loaded_at from ingest.load_log
               where raw_table = ? and status in ('loaded', 'replaced') order by loaded_at, source_file""",
            [raw_table],
        ).fetchall()
    except duckdb.CatalogException:
        return []
    if len(loads) < 2:
        return []
    newest_at = loads[-1][2]
    window = band.get("newest_load_window_minutes", 360)
    newest = [l for l in loads if (newest_at - l[2]).total_seconds() <= window * 60]
    earlier = [l for l in loads if l not in newest]
    failures = []
    for source_file, rows, loaded_at in newest:
        own = [l[1] for l in earlier if l[0] == source_file]
        others = [l[1] for l in earlier[-band.get("baseline_loads", 7):]]
        baseline = own[-1] if own else (statistics.median(others) if others else None)
        if not baseline:
            continue
        ratio = rows / baseline
        if not band.get("min_ratio", 0) <= ratio <= band.get("max_ratio", float("inf")):
            failures.append(
                Failure(
                    expectation="volume_vs_previous_load",
                    column=None,
                    severity=band.get("severity", "critical"),
                    unexpected_count=None,
                    sample=[{"file": source_file, "rows_loaded": rows, "baseline": baseline}],
                    rows=[{"source_file": source_file, "rows_loaded": rows, "baseline_rows": baseline,
                           "ratio": round(ratio, 3), "loaded_at": str(loaded_at)}],
                    detail=f"{source_file}: {rows} rows vs {baseline} before (ratio {ratio:.2f}, "
                    f"allowed {band.get('min_ratio', 0)}–{band.get('max_ratio', 'inf')})",
                )
            )
    return failures


def _store_and_render(context, result, suite_name: str, asset_name: str, run_name: str | None) -> None:
    """Keep the result in GX's validation store and refresh the Data Docs pages for it."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    identifier = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
        run_id=RunIdentifier(run_name=run_name or "adhoc", run_time=datetime.now(timezone.utc)),
        batch_identifier=asset_name,
    )
    context.validation_results_store.store_validation_results(result, identifier)
    context.build_data_docs(resource_identifiers=[identifier])


def data_docs_index(reports_dir: Path) -> Path:
    return Path(reports_dir) / "gx" / "data_docs" / "index.html"


def _pair(kwargs: dict) -> str | None:
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    return None


def involved_columns(kwargs: dict) -> set[str]:
    return {str(c) for c in [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"),
                             *(kwargs.get("column_list") or [])] if c}


def mask_result(result, private: frozenset[str]) -> None:
    """Mask, in place, the sample values GX keeps of PII columns (what its JSON and Data Docs show)."""
    if not private:
        return
    for item in result.results:
        if not involved_columns(item.expectation_config.kwargs) & private:
            continue
        details = item.result or {}
        for key in ("partial_unexpected_list", "unexpected_list"):
            if details.get(key):
                details[key] = [mask(v) for v in details[key]]
        if details.get("partial_unexpected_counts"):
            details["partial_unexpected_counts"] = [
                {**entry, "value": mask(entry.get("value"))} for entry in details["partial_unexpected_counts"]]
        if details.get("observed_value") is not None and not isinstance(details["observed_value"], (int, float)):
            details["observed_value"] = MASK


def _rows(frame, indexes, first: str | None = None, private: frozenset[str] = frozenset()) -> list[dict]:
    """Whole offending rows, the checked column(s) first so a printed row shows them; PII masked."""
    leading = [c for c in (first or "").split(",") if c in frame.columns]
    order = leading + [c for c in frame.columns if c not in leading]
    rows = []
    for index in list(indexes)[:SAMPLE_OFFENDERS]:
        try:
            record = frame.loc[index]
        except (KeyError, TypeError):
            continue
        rows.append({str(k): mask(_jsonable(record[k])) if str(k) in private else _jsonable(record[k]) for k in order})
    return rows


def _jsonable(value):
    if isinstance(value, float) and value != value:
        return None  # NaN: a missing value, and not valid JSON
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    if hasattr(value, "item") and not hasattr(value, "__len__"):  # a numpy scalar
        value = value.item()
        if isinstance(value, (int, float, str, bool)):
            return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
