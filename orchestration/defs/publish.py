"""The publish step as a Dagster asset: it runs only when everything upstream built and passed."""

from functools import cache
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Failure, MaterializeResult, MetadataValue, asset

from .resources import PathsResource, WarehouseResource

PUBLISHED_KEY = AssetKey(["published", "marts"])


def write_gate_report(instance, run_id: str, reports_dir: Path, published: bool | None = None) -> Path:
    """The gate report of a run from its event log (reports/gate/last.json and runs/<run id>.json),
    and the validation page that shows it offline (reports/validation/index.html)."""
    from .. import gate_report
    from ..reports.validation_page import write_validation_page

    events = [entry.dagster_event for entry in instance.all_logs(run_id) if entry.dagster_event is not None]
    written = gate_report.write(reports_dir, gate_report.build(events, run_id, published))
    write_validation_page(reports_dir)
    return written


@cache
def build_published_marts(mart_keys: tuple[AssetKey, ...]) -> AssetsDefinition:
    return asset(
        key=PUBLISHED_KEY,
        deps=list(mart_keys),
        group_name="publish",
        kinds={"duckdb"},
        description="The BI-facing DuckDB file: facts, dimensions and marts only, replaced atomically "
        "after every blocking check upstream has passed.",
    )(_publish)


def _publish(context: AssetExecutionContext, warehouse: WarehouseResource, paths: PathsResource) -> MaterializeResult:
    from ..publish import PublishError, publish_marts  # late: DuckDB is not needed to load the definitions

    try:
        counts = publish_marts(Path(warehouse.path), Path(paths.published_path), run_id=context.run.run_id)
    except PublishError as exc:
        # Not retried: a full disk or a read-only folder needs a person, and BI keeps the old file.
        raise Failure(description=str(exc), allow_retries=False) from exc
    context.log.info(f"published {len(counts)} tables to {paths.published_path}")

    # The nightly report, drawn from the file just published (a failure here fails the step: the
    # new file is already what BI reads, but a stale report would say otherwise). Imported here:
    # Altair takes a second to import, which loading the definitions should not pay.
    from ..reports.html_report import report_dir, write_report

    report = write_report(Path(paths.published_path), report_dir(Path(paths.reports_dir)))
    # The gate report of this night, whoever started it (the schedule, the UI, `mot run`): every
    # check has run by now, since publish waits for all of them.
    write_gate_report(context.instance, context.run.run_id, Path(paths.reports_dir), published=True)

    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(paths.published_path),
            "tables": MetadataValue.json(counts),
            "report": MetadataValue.path(str(report)),
        }
    )
