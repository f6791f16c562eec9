"""Great Expectations suites as Dagster asset checks. Raw checks are blocking: dbt waits for them."""

from pathlib import Path

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetChecksDefinition, MetadataValue, asset_check

from . import quality
from .ingestion.assets import TABLE_SPECS, raw_asset_key
from .ingestion.config import TableSpec
from .resources import PathsResource, WarehouseResource


def build_raw_check(spec: TableSpec) -> AssetChecksDefinition:
    suite = f"raw_{spec.raw_table}"

    @asset_check(
        asset=raw_asset_key(spec),
        name="gx_raw_suite",
        blocking=True,
        description=f"Great Expectations suite {suite} (expectations/gx/expectations/{suite}.json).",
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource, paths: PathsResource) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as conn:
            frame = quality.read_table(conn, f"raw.{spec.raw_table}")
        outcome = quality.validate(suite, spec.raw_table, frame, Path(paths.reports_dir) / "gx")
        for failure in outcome.failures:
            context.log.warning(f"{suite}: {failure.severity}: {failure.describe()}")
        return AssetCheckResult(
            passed=outcome.passed,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rows_checked": outcome.rows_checked,
                "expectations": outcome.evaluated,
                "failed": len(outcome.failures),
                "failures": MetadataValue.md("\n".join(f"- {f.severity}: {f.describe()}" for f in outcome.failures) or "none"),
            },
        )

    return _check


raw_checks = [build_raw_check(spec) for spec in TABLE_SPECS]
