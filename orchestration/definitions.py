"""The one Definitions object of the project: it assembles, nothing else."""

from dagster import Definitions

from .checks import raw_checks
from .dbt_assets import moments_dbt_assets
from .ingestion.assets import ingestion_assets
from .jobs import nightly_job
from .publish_asset import published_marts
from .resources import build_resources
from .schedules import nightly_schedule
from .settings import Settings


def build_definitions(settings: Settings) -> Definitions:
    """The same graph against other paths (tests build throwaway warehouses with it)."""
    return Definitions(
        assets=[*ingestion_assets, moments_dbt_assets, published_marts],
        asset_checks=raw_checks,
        jobs=[nightly_job],
        schedules=[nightly_schedule],
        resources=build_resources(settings),
    )


defs = build_definitions(Settings.from_env())
