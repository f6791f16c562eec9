"""The one Definitions object of the project: it assembles, nothing else, and only when asked.

Importing this module does no work (no Dagster import, no manifest read, no configuration read):
`defs` is built on first access by a cached factory, which is what `dagster dev -m
orchestration.definitions` and `dagster definitions validate` reach through the module's attributes.
The settings are read once, there, from the environment (the entry point of a Dagster code
location); `mot run` and the tests call build_definitions(settings) with their own.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    from dagster import Definitions


def build_definitions(settings: Settings) -> "Definitions":
    """The whole graph against the paths of `settings` (tests build throwaway warehouses with it)."""
    from dagster import Definitions, in_process_executor

    from .defs.checks import build_mart_checks, build_raw_checks
    from .defs.dbt import build_dbt_assets, mart_keys
    from .defs.ingestion import build_ingestion_assets, table_specs
    from .defs.jobs import hourly_open_leads_job, ingest_job, nightly_job
    from .defs.publish import build_published_marts
    from .defs.resources import build_resources
    from .defs.schedules import hourly_open_leads_schedule, nightly_schedule
    from .defs.sensors import build_alert_on_run_failure, build_landing_files_sensor

    specs = table_specs(settings.sources_config)
    dbt_assets_def = build_dbt_assets(settings)
    marts = tuple(mart_keys(dbt_assets_def))
    nightly, ingest = nightly_job(), ingest_job()
    hourly = hourly_open_leads_job(dbt_assets_def, settings.hourly_dbt_select)
    return Definitions(
        assets=[*build_ingestion_assets(settings), dbt_assets_def, build_published_marts(marts)],
        asset_checks=[*build_raw_checks(specs, settings), *build_mart_checks(marts, settings)],
        jobs=[nightly, ingest, hourly],
        schedules=[nightly_schedule(nightly, settings, specs), hourly_open_leads_schedule(hourly, settings)],
        sensors=[build_landing_files_sensor(ingest, specs, settings), build_alert_on_run_failure(settings)],
        resources=build_resources(settings),
        # Also for materializations started from the UI: every step opens the one DuckDB file, so
        # separate step processes would only add start-up time, never parallelism.
        executor=in_process_executor,
    )


@cache
def code_location_definitions() -> "Definitions":
    """The code location's definitions: the settings read once, from the environment."""
    return build_definitions(Settings.from_env())


def __getattr__(name: str):
    if name == "defs":
        return code_location_definitions()
    raise AttributeError(name)


def __dir__() -> list[str]:
    # Dagster finds the definitions by listing the module's attributes: list `defs` among them.
    return sorted([*globals(), "defs"])
