"""Great Expectations suites as Dagster asset checks.

Raw checks block dbt; mart checks block publish. A mart gets a check for each suite file named
`marts__<model>*.json` in expectations/gx/expectations: adding a suite file is all it takes (a
suite whose model does not exist yet is skipped until the model does).
"""

from pathlib import Path
from typing import Sequence

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    AssetKey,
    MetadataValue,
    asset_check,
)

from .. import quality
from ..ingestion.config import TableSpec
from ..settings import Settings
from .ingestion import raw_asset_key
from .resources import PathsResource, WarehouseResource

MART_SUITE_PREFIX = "marts__"


def _result(context: AssetCheckExecutionContext, outcome: quality.SuiteOutcome, suite: str) -> AssetCheckResult:
    for failure in outcome.failures:
        context.log.warning(f"{suite}: {failure.severity}: {failure.describe()}")
    return AssetCheckResult(
        passed=outcome.passed,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "suite": suite,
            "table": outcome.table,
            "rows_checked": outcome.rows_checked,
            "expectations": outcome.evaluated,
            "failed": len(outcome.failures),
            "failures": MetadataValue.md("\n".join(f"- {f.severity}: {f.describe()}" for f in outcome.failures) or "none"),
            # The gate report reads these back: each failed expectation with sample offending rows.
            "failure_details": MetadataValue.json([f.as_dict() for f in outcome.failures]),
        },
    )


def build_raw_check(spec: TableSpec, earliest: str = Settings.earliest_timestamp) -> AssetChecksDefinition:
    suite = f"raw_{spec.raw_table}"

    @asset_check(
        asset=raw_asset_key(spec),
        name="gx_raw_suite",
        blocking=True,
        description=f"Suite {suite} (expectations/gx/expectations/{suite}.json): its row-level "
        "expectations in SQL over every row, its distributions by Great Expectations on a sample, "
        "plus the volume of the newest load against the previous one.",
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource, paths: PathsResource) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as conn:
            outcome = quality.validate_raw_table(conn, suite, spec.raw_table, Path(paths.reports_dir) / "gx",
                                                 context.run.run_id, table_spec=spec, earliest=earliest)
            volume = quality.volume_failures(conn, suite, spec.raw_table)
        outcome.failures.extend(volume)
        outcome.evaluated += 1 if quality.suite_meta(suite).get("volume_band") else 0
        return _result(context, outcome, suite)

    return _check


def mart_suites() -> dict[str, str]:
    """Suite name → mart model, for every mart suite file."""
    suites = {}
    for path in sorted(quality.SUITES_DIR.glob(f"{MART_SUITE_PREFIX}*.json")):
        suite = path.stem
        suites[suite] = quality.suite_meta(suite).get("model") or suite[len(MART_SUITE_PREFIX):]
    return suites


def build_mart_check(suite: str, model: str, earliest: str = Settings.earliest_timestamp) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(["marts", model]),
        name=f"gx_{suite[len(MART_SUITE_PREFIX):]}" if suite != f"{MART_SUITE_PREFIX}{model}" else "gx_mart_suite",
        blocking=True,
        description=f"Great Expectations suite {suite} (expectations/gx/expectations/{suite}.json); "
        "a failure blocks publish.",
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource, paths: PathsResource) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as conn:
            frame = quality.read_for_suite(conn, suite, f"marts.{model}")
        outcome = quality.validate(suite, "marts", frame, Path(paths.reports_dir) / "gx", context.run.run_id,
                                   earliest=earliest)
        outcome.table = f"marts.{model}"
        return _result(context, outcome, suite)

    return _check


def build_raw_checks(specs: Sequence[TableSpec], settings: Settings) -> list[AssetChecksDefinition]:
    # A raw table no source configuration declares is empty by design: there is no export to check.
    return [build_raw_check(spec, settings.earliest_timestamp) for spec in specs if spec.configured]


def build_mart_checks(mart_keys: Sequence[AssetKey], settings: Settings) -> list[AssetChecksDefinition]:
    return [build_mart_check(suite, model, settings.earliest_timestamp) for suite, model in mart_suites().items()
            if AssetKey(["marts", model]) in mart_keys]


def __getattr__(name: str):
    # The check lists with the default settings, for code that predates the builders.
    settings = Settings.from_env()
    if name == "raw_checks":
        from .ingestion import table_specs

        return build_raw_checks(table_specs(settings.sources_config), settings)
    if name == "mart_checks":
        from .dbt import build_dbt_assets, mart_keys

        return build_mart_checks(mart_keys(build_dbt_assets(settings)), settings)
    raise AttributeError(name)
