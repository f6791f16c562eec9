"""The dbt project as Dagster assets; dbt tests become asset checks.

The graph is read from target/manifest.json, prepared ahead by `mot parse` (`make parse`, which
`make run/test/dev` call first); `dagster dev` re-parses on load (dbt_project.prepare_if_dev).
Loading the definitions never runs dbt otherwise, except on a fresh clone with no manifest yet.
"""

import json
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, Failure
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from .dbt_project import dbt_project, ensure_manifest
from .resources import WarehouseResource
from .execution import WAREHOUSE_POOL, is_transient, transient_retry_policy

ensure_manifest()  # a no-op when the manifest exists: only a fresh clone pays for a parse here

# Run tags a partitioned run (a backfill, a daily run) carries; dbt gets the window as vars.
RANGE_START_TAG, RANGE_END_TAG, PARTITION_TAG = (
    "dagster/asset_partition_range_start", "dagster/asset_partition_range_end", "dagster/partition",
)


class MomentsTranslator(DagsterDbtTranslator):
    """Groups follow the model folders (staging / intermediate / marts); seeds get their own.

    A dbt source maps onto the ingestion asset that loads it through the source's
    `meta: {dagster: {asset_key: [raw, <table>]}}` (models/staging/*/_*__sources.yml), which the
    base translator honours: staging hangs off the raw tables in one connected graph.
    """

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


def partition_window_vars(tags: Mapping[str, str]) -> dict[str, str]:
    """The dates a partitioned run covers, as dbt vars (`window_start`, `window_end`, inclusive).

    Incremental models may read them to rebuild exactly the backfilled days instead of their
    usual lookback; an unpartitioned run passes no vars and the models use their defaults.
    """
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if not start and tags.get(PARTITION_TAG):
        start = end = tags[PARTITION_TAG]
    return {"window_start": start, "window_end": end} if start and end else {}


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=MomentsTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool=WAREHOUSE_POOL,
    retry_policy=transient_retry_policy(),
)
def moments_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # `warehouse` is not read here: asking for it holds the night lock (resources.py) while dbt writes.
    window = partition_window_vars(context.run.tags)
    args = ["build", *(["--vars", json.dumps(window)] if window else [])]
    if window:
        context.log.info(f"dbt build for the partition window {window['window_start']}..{window['window_end']}")
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    yield from invocation.stream()
    error = invocation.get_error()
    if error is not None:
        if is_transient(error):
            raise error  # the retry policy tries again, with backoff
        # A failing test or a broken model fails the same way on every retry.
        raise Failure(description=str(error), allow_retries=False) from error


MART_KEYS = [spec.key for spec in moments_dbt_assets.specs if spec.group_name == "marts"]

