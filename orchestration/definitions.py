"""The one Definitions object of the project: it assembles, nothing else."""

from dagster import Definitions, in_process_executor

from .checks import mart_checks, raw_checks
from .dbt_assets import moments_dbt_assets
from .ingestion.assets import ingestion_assets
from .jobs import hourly_open_leads_job, ingest_job, nightly_job
from .publish_asset import published_marts
from .resources import build_resources
from .schedules import hourly_open_leads_schedule, nightly_schedule
from .sensors import alert_on_run_failure, landing_files_sensor
from .settings import Settings


def build_definitions(settings: Settings) -> Definitions:
    """The same graph against other paths (tests build throwaway warehouses with it)."""
    return Definitions(
        assets=[*ingestion_assets, moments_dbt_assets, published_marts],
        asset_checks=[*raw_checks, *mart_checks],
        jobs=[nightly_job, ingest_job, hourly_open_leads_job],
        schedules=[nightly_schedule, hourly_open_leads_schedule],
        sensors=[landing_files_sensor, alert_on_run_failure],
        resources=build_resources(settings),
        # Also for materializations started from the UI: every step opens the one DuckDB file, so
        # separate step processes would only add start-up time, never parallelism.
        executor=in_process_executor,
    )


defs = build_definitions(Settings.from_env())
