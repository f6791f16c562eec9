"""One Dagster asset per raw table, built from the source configuration."""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Failure, MaterializeResult, MetadataValue, asset

from ..resources import PathsResource, WarehouseResource
from .config import TableSpec, load_config
from .loader import FileReport, ingest_table

INGESTION_GROUP = "ingestion"


def raw_asset_key(spec: TableSpec) -> AssetKey:
    return AssetKey(["raw", spec.raw_table])


def build_ingestion_asset(spec: TableSpec) -> AssetsDefinition:
    @asset(
        key=raw_asset_key(spec),
        group_name=INGESTION_GROUP,
        kinds={"python", "duckdb"},
        description=f"{spec.source} {spec.name} exports ({spec.format}, files {spec.files}, "
        f"time zone {spec.timezone}) loaded into raw.{spec.raw_table}; bad rows go to ingest.quarantine.",
    )
    def _ingest(context: AssetExecutionContext, warehouse: WarehouseResource, paths: PathsResource) -> MaterializeResult:
        with warehouse.connect() as conn:
            reports = ingest_table(conn, spec, Path(paths.landing_dir))
            total = conn.execute(f"select count(*) from raw.{spec.raw_table}").fetchone()[0]
        for report in reports:
            context.log.debug(
                f"{report.source_file}: {report.status}, read {report.rows_read} = loaded "
                f"{report.rows_loaded} + quarantined {report.rows_quarantined}"
            )
        context.log.info(
            f"raw.{spec.raw_table}: {len(reports)} files ({sum(r.status == 'unchanged' for r in reports)} unchanged), "
            f"read {sum(r.rows_read for r in reports)} = loaded {sum(r.rows_loaded for r in reports)} "
            f"+ quarantined {sum(r.rows_quarantined for r in reports)}"
        )
        rejected = [r for r in reports if r.status == "rejected"]
        if rejected:
            raise Failure(
                description="; ".join(r.message for r in rejected),
                metadata={"files": MetadataValue.md(_files_table(reports))},
            )
        return MaterializeResult(
            metadata={
                "dagster/row_count": total,
                "files": len(reports),
                "rows_read": sum(r.rows_read for r in reports),
                "rows_loaded": sum(r.rows_loaded for r in reports),
                "rows_quarantined": sum(r.rows_quarantined for r in reports),
                "files_unchanged": sum(r.status == "unchanged" for r in reports),
                "per_file": MetadataValue.md(_files_table(reports)),
            }
        )

    return _ingest


def _files_table(reports: list[FileReport]) -> str:
    lines = ["| file | status | read | loaded | quarantined |", "|---|---|---|---|---|"]
    lines += [
        f"| {r.source_file} | {r.status} | {r.rows_read} | {r.rows_loaded} | {r.rows_quarantined} |"
        for r in reports
    ]
    return "\n".join(lines)


TABLE_SPECS = load_config()
ingestion_assets = [build_ingestion_asset(spec) for spec in TABLE_SPECS]
