"""One Dagster asset per raw table, built from the source configuration.

raw.web_events is partitioned by the UTC day of its shards (defs/partitions.py); the snapshot
exports are not.

A run without a partition (the nightly job, `mot run`) loads every shard in the landing folder;
the loader skips files it already loaded with the same checksum, so that is a catch-up, not a reload.
"""

from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from ..ingestion.config import TableSpec, load_config
from ..engines.postgres import land_ingest_tables, land_raw_table
from ..engines.spark import write_raw_parquet
from ..settings import Settings
from .execution import WAREHOUSE_POOL, only_transient_failures_retried, transient_retry_policy
from .partitions import is_daily_sharded, shard_date, web_event_partitions
from .resources import PathsResource, WarehouseResource
from .terminal import progress_message

if TYPE_CHECKING:
    from ..ingestion.loader import FileReport

INGESTION_GROUP = "ingestion"
def raw_asset_key(spec: TableSpec) -> AssetKey:
    return AssetKey(["raw", spec.raw_table])


def build_ingestion_asset(spec: TableSpec, daily_partitions: DailyPartitionsDefinition,
                          retry_policy, on_postgres: bool = False) -> AssetsDefinition:
    sharded = is_daily_sharded(spec)

    @asset(
        key=raw_asset_key(spec),
        group_name=INGESTION_GROUP,
        kinds={"python", "duckdb", *(("postgres",) if on_postgres else ())},
        description=f"{spec.source} {spec.name} exports ({spec.format}, files "
        f"{', '.join(dict.fromkeys(m.files for m in spec.mappings))}, "
        f"time zone {spec.timezone}) loaded into raw.{spec.raw_table}; bad rows go to ingest.quarantine."
        + (" Partitioned by the UTC day of the shard." if sharded else " A snapshot export: not partitioned."),
        partitions_def=daily_partitions if sharded else None,
        # A backfill of many days is one run: one warehouse connection, the shards loaded in order.
        backfill_policy=BackfillPolicy.single_run() if sharded else None,
        pool=WAREHOUSE_POOL,
        retry_policy=retry_policy,
    )
    def _ingest(context: AssetExecutionContext, warehouse: WarehouseResource, paths: PathsResource) -> MaterializeResult:
        landing = Path(paths.landing_dir)
        if not landing.is_dir():
            # a missing folder is a mistake (a typo, an unmounted share), never an empty night
            raise Failure(description=f"the landing folder {landing} does not exist: nothing loaded",
                          allow_retries=False)
        # A table no configuration declares keeps an empty raw table (the loader's rule too).
        files = spec.landing_files(landing)  # every mapping's files, when the table has several
        extra = {}
        if sharded and context.has_partition_key_range:
            window = context.partition_key_range
            first, last = date.fromisoformat(window.start), date.fromisoformat(window.end)
            files = [p for p in files if (day := shard_date(p)) is not None and first <= day <= last]
            found = {shard_date(p).isoformat() for p in files}
            missing = [key for key in context.partition_keys if key not in found]
            if missing:
                context.log.warning(f"raw.{spec.raw_table}: no shard in {landing} for {', '.join(missing)}")
            extra = {"partitions": f"{window.start}..{window.end}", "shards_missing": MetadataValue.json(missing)}
        # late: the loader (and DuckDB) are not needed to load the definitions
        from ..ingestion.loader import RAW_SCHEMA, ensure_raw_table, ensure_schemas, ingest_files

        with only_transient_failures_retried(f"loading raw.{spec.raw_table}"), warehouse.connect() as conn:
            ensure_schemas(conn)
            ensure_raw_table(conn, spec)
            reports = _ingest_in_parts(context, conn, spec, files, landing, paths.settle_seconds) if sharded else \
                ingest_files(conn, spec, files, landing, settle_seconds=paths.settle_seconds)
            total = conn.execute(f"select count(*) from raw.{spec.raw_table}").fetchone()[0]
            server = warehouse.postgres()
            if server is not None:
                # rejected files change nothing in DuckDB: landing what is there is always right
                landed = land_raw_table(conn, server, RAW_SCHEMA, spec.raw_table)
                land_ingest_tables(conn, server)
                context.log.info(f"raw.{spec.raw_table} landed in PostgreSQL {server.host}:{server.port}: "
                                 f"{landed['loads_landed']} new load(s), {landed['loads_removed']} removed")
                extra["postgres_loads_landed"] = landed["loads_landed"]
            if warehouse.on_spark:
                # Spark reads the raw table, the load log and the quarantine from Parquet folders.
                write_raw_parquet(conn, Path(warehouse.spark_dir),
                                  [(RAW_SCHEMA, spec.raw_table), ("ingest", "load_log"), ("ingest", "quarantine")])
        for report in reports:
            context.log.debug(
                f"{report.source_file}{f' (mapping {report.mapping})' if report.mapping else ''}: {report.status}, "
                f"read {report.rows_read} = loaded {report.rows_loaded} + quarantined {report.rows_quarantined} "
                f"+ skipped {report.rows_skipped}"
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
                allow_retries=False,  # the file itself is wrong: a retry would reject it again
            )
        return MaterializeResult(
            metadata={
                "dagster/row_count": total,
                "files": len(reports),
                "rows_read": sum(r.rows_read for r in reports),
                "rows_loaded": sum(r.rows_loaded for r in reports),
                "rows_quarantined": sum(r.rows_quarantined for r in reports),
                "rows_skipped": sum(r.rows_skipped for r in reports),
                "rows_duplicate_id": sum(r.rows_duplicate_id for r in reports),
                "files_unchanged": sum(r.status == "unchanged" for r in reports),
                "per_file": MetadataValue.md(_files_table(reports)),
                **extra,
            }
        )

    return _ingest


# A daily-sharded table loads its shards in this many parts, so a person watching `mot run` sees
# how far it got (half a year of shards is one silent minute otherwise); more parts cost more
# statements for nothing.
PROGRESS_PARTS = 10


def _ingest_in_parts(context: AssetExecutionContext, conn, spec: TableSpec, files: list[Path],
                     landing: Path, settle_seconds: float = 0.0) -> "list[FileReport]":
    """ingest_files in date order, PROGRESS_PARTS parts at most, a progress line after each.

    The same outcome as one call: each part sees the load log of the parts before it (a twin
    delivered in an earlier part is still a duplicate), and the header check that needs every
    file of a table at once only applies to CSV and Parquet, which are loaded in one part.
    """
    from ..ingestion.loader import ingest_files

    if spec.format in ("csv", "parquet") or spec.alternatives or len(files) < 2 * PROGRESS_PARTS:
        return ingest_files(conn, spec, files, landing, settle_seconds=settle_seconds)
    size = -(-len(files) // PROGRESS_PARTS)
    reports = []
    for start in range(0, len(files), size):
        reports += ingest_files(conn, spec, files[start:start + size], landing, settle_seconds=settle_seconds)
        context.log.info(progress_message(f"raw.{spec.raw_table}", min(start + size, len(files)), len(files)))
    return reports


def _files_table(reports: "list[FileReport]") -> str:
    lines = ["| file | status | read | loaded | quarantined |", "|---|---|---|---|---|"]
    lines += [
        f"| {r.source_file} | {r.status} | {r.rows_read} | {r.rows_loaded} | {r.rows_quarantined} |"
        for r in reports
    ]
    return "\n".join(lines)


@cache
def table_specs(config_path: Path | None = None) -> tuple[TableSpec, ...]:
    """The source configuration, read (and its expressions checked) once per process and file."""
    return tuple(load_config(config_path))


def build_ingestion_assets(settings: Settings) -> tuple[AssetsDefinition, ...]:
    partitions = web_event_partitions(settings, table_specs(settings.sources_config))
    return _ingestion_assets(settings.sources_config, partitions, transient_retry_policy(settings),
                             settings.on_postgres)


@cache
def _ingestion_assets(config_path: Path | None, partitions: DailyPartitionsDefinition,
                      retry_policy, on_postgres: bool = False) -> tuple[AssetsDefinition, ...]:
    return tuple(build_ingestion_asset(spec, partitions, retry_policy, on_postgres)
                 for spec in table_specs(config_path))


def __getattr__(name: str):
    # The names of the registry before it was built lazily (no configuration read at import).
    if name == "TABLE_SPECS":
        return list(table_specs(Settings.from_env().sources_config))
    if name == "ingestion_assets":
        return list(build_ingestion_assets(Settings.from_env()))
    if name == "daily_partitions":
        settings = Settings.from_env()
        return web_event_partitions(settings, table_specs(settings.sources_config))
    raise AttributeError(name)
