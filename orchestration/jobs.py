"""Jobs select assets by group or dbt selection, so a new model or raw table joins them without edits here.

Every job runs its steps one at a time in one process (each step reads or writes the one DuckDB
file) and carries the warehouse run tag, which the run queue limits to one run at a time.
"""

from dagster import AssetSelection, define_asset_job, in_process_executor
from dagster_dbt import build_dbt_asset_selection

from .dbt_assets import moments_dbt_assets
from .execution import WAREHOUSE_RUN_TAG
from .ingestion.assets import INGESTION_GROUP
from .publish_asset import published_marts
from .settings import orchestration_setting

nightly_job = define_asset_job(
    "nightly",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    tags=WAREHOUSE_RUN_TAG,
    description="Ingest landing files, check raw tables, dbt build, publish the marts. Without a "
    "partition it loads every new shard; with a date range (a backfill) only those days' shards.",
)

ingest_job = define_asset_job(
    "ingest",
    selection=AssetSelection.groups(INGESTION_GROUP),
    executor_def=in_process_executor,
    tags=WAREHOUSE_RUN_TAG,
    description="Load landing files into the raw tables and run their checks (the landing sensor starts it).",
)

# The open-leads mart, then publish so BI sees it. The dbt selection string resolves whatever
# models exist when the definitions load (MOT_HOURLY_DBT_SELECT, default `mart_open_leads`).
hourly_open_leads_job = define_asset_job(
    "hourly_open_leads",
    selection=build_dbt_asset_selection([moments_dbt_assets], dbt_select=orchestration_setting("MOT_HOURLY_DBT_SELECT"))
    | AssetSelection.assets(published_marts),
    executor_def=in_process_executor,
    tags=WAREHOUSE_RUN_TAG,
    description="Rebuild the open-leads mart from the latest raw CRM tables and republish the marts.",
)
