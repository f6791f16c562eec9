"""Jobs select assets by group, so a new model or raw table joins them without edits here."""

from dagster import AssetSelection, define_asset_job, in_process_executor

# One step at a time: every step reads or writes the one DuckDB warehouse file.
nightly_job = define_asset_job(
    "nightly",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest landing files, check raw tables, dbt build, publish the marts.",
)
