"""Jobs select assets by group or dbt selection, so a new model or raw table joins them without edits here.

Every job runs its steps one at a time in one process (each step reads or writes the one DuckDB
file) and carries the warehouse run tag, which the run queue limits to one run at a time.
"""

from dagster import AssetSelection, AssetsDefinition, define_asset_job, in_process_executor
from dagster_dbt import build_dbt_asset_selection

from .execution import WAREHOUSE_RUN_TAG
from .ingestion import INGESTION_GROUP
from .publish import PUBLISHED_KEY


def nightly_job():
    return define_asset_job(
        "nightly",
        selection=AssetSelection.all(),
        executor_def=in_process_executor,
        tags=WAREHOUSE_RUN_TAG,
        description="Ingest landing files, check raw tables, dbt build, publish the marts. Without a "
        "partition it loads every new shard; with a date range (a backfill) only those days' shards.",
    )


def ingest_job():
    return define_asset_job(
        "ingest",
        selection=AssetSelection.groups(INGESTION_GROUP),
        executor_def=in_process_executor,
        tags=WAREHOUSE_RUN_TAG,
        description="Load landing files into the raw tables and run their checks (the landing sensor starts it).",
    )


def hourly_open_leads_job(dbt_assets_def: AssetsDefinition, dbt_select: str):
    """The open-leads mart, then publish so BI sees it. The dbt selection string resolves whatever
    models exist when the definitions load (MOT_HOURLY_DBT_SELECT, default `mart_open_leads`)."""
    return define_asset_job(
        "hourly_open_leads",
        selection=build_dbt_asset_selection([dbt_assets_def], dbt_select=dbt_select)
        | AssetSelection.assets(PUBLISHED_KEY),
        executor_def=in_process_executor,
        tags=WAREHOUSE_RUN_TAG,
        description="Rebuild the open-leads mart from the latest raw CRM tables and republish the marts.",
    )
