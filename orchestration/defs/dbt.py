"""The dbt project as Dagster assets; dbt tests become asset checks.

The graph is read from target/manifest.json, prepared ahead by `mot parse` (`make parse`, which
`make run/test/dev` call first). Loading the definitions never runs dbt: without a manifest it
says to run `mot parse`. The assets are built on first use (build_dbt_assets), not at import.
"""

import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Failure
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from ..dbt_artifacts import keep_parse_and_prune
from ..dbt_launcher import PARENT_PID_VARIABLE
from ..dbt_project import require_manifest
from ..engines.postgres import fetch_schema
from ..engines.spark import read_spark_marts, write_raw_parquet
from ..settings import Settings
from .execution import WAREHOUSE_POOL, is_transient, transient_retry_policy
from .partitions import RANGE_END_TAG, RANGE_START_TAG, partition_window_vars  # noqa: F401 (names others import)
from .resources import WarehouseResource, dbt_project_for

MARTS_SCHEMA = "marts"  # dbt_project.yml: the only schema published to BI


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

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """Every dbt test check says what it tests: the test's own description when its YAML gives
        one, otherwise one written from the test (the checks list in the UI is read by people)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=describe_dbt_test(manifest["nodes"][unique_id]))


def describe_dbt_test(test: Mapping[str, Any]) -> str:
    """"dbt test not_null on identity_id (models/intermediate/_intermediate__models.yml)"."""
    metadata = test.get("test_metadata") or {}
    kwargs = metadata.get("kwargs") or {}
    column = test.get("column_name") or kwargs.get("column_name")
    detail = {k: v for k, v in kwargs.items() if k not in ("column_name", "model") and not str(v).startswith("{{")}
    what = f"dbt test {metadata['name']}" if metadata else f"dbt singular test {test['name']}"
    return (what + (f" on {column}" if column else "") + (f" {json.dumps(detail, default=str)}" if detail else "")
            + f" ({test.get('original_file_path', '?')})")


def build_dbt_assets(settings: Settings) -> AssetsDefinition:
    """The dbt models, seeds and tests of the manifest `mot parse` wrote, built once per manifest."""
    require_manifest(settings)
    return _dbt_assets(settings.dbt_target, settings.dbt_target_dir, transient_retry_policy(settings))


@cache
def _dbt_assets(target: str, target_dir, retry_policy) -> AssetsDefinition:
    dbt_project = dbt_project_for(target, target_dir)

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=MomentsTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
        pool=WAREHOUSE_POOL,
        retry_policy=retry_policy,
    )
    def moments_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        # Asking for `warehouse` holds the night lock (resources.py) while dbt writes; profiles.yml
        # reads the file's path from the environment of the dbt process.
        os.environ["MOT_WAREHOUSE_PATH"] = warehouse.path
        # dbt ends with this process (dbt_launcher.py), which it checks by this pid
        os.environ[PARENT_PID_VARIABLE] = str(os.getpid())
        if warehouse.on_spark:
            # The ingestion assets wrote their tables as Parquet; a raw table no mapping fills
            # (created empty) still needs a folder for Spark to declare it.
            with warehouse.connect() as conn:
                write_raw_parquet(conn, Path(warehouse.spark_dir), missing_only=True)
        window = partition_window_vars(context.run.tags)
        args = ["build", *(["--vars", json.dumps(window)] if window else [])]
        if window:
            context.log.info(f"dbt build for the partition window {window['window_start']}..{window['window_end']}")
        invocation = dbt.cli(args, context=context, raise_on_error=False)
        # Held until dbt exits (its log lines still reach the run log, and the terminal's progress
        # bar, as dbt writes them): the row counts are read then, when dbt no longer holds the file.
        events = _collected_with_progress(invocation.stream(), context)
        error = invocation.get_error()
        _keep_parse_and_prune(invocation.target_path, context.log)
        # On PostgreSQL the built tables are in the server, not in the file counted here: no counts.
        yield from (events if warehouse.postgres() is not None else
                    with_row_counts(events, invocation.manifest, warehouse, context.log))
        if error is not None:
            if is_transient(error):
                raise error  # the retry policy tries again, with backoff
            # A failing test or a broken model fails the same way on every retry.
            raise Failure(description=str(error), allow_retries=False) from error
        server = warehouse.postgres()
        if server is not None:
            # The mart gate and publish read the marts from the working DuckDB file, as on the
            # DuckDB target: the GX suites' SQL and the publish copy stay one code path.
            with warehouse.connect() as conn:
                counts = fetch_schema(server, MARTS_SCHEMA, conn)
            context.log.info(f"fetched {len(counts)} mart tables ({sum(counts.values())} rows) from PostgreSQL "
                             f"{server.host}:{server.port} into {warehouse.path}")
        if warehouse.on_spark:
            # As on PostgreSQL: the mart gate and publish read the marts from the working DuckDB file.
            with warehouse.connect() as conn:
                counts = read_spark_marts(conn, Path(warehouse.spark_dir), dbt_project.manifest_path)
            context.log.info(f"read {len(counts)} mart tables ({sum(counts.values())} rows) that Spark built "
                             f"under {warehouse.spark_dir} into {warehouse.path}")

    return moments_dbt_assets


def _keep_parse_and_prune(invocation_dir: Path, log) -> None:
    """The next night starts from this night's parse; old invocation folders go (dbt_artifacts.py).
    Housekeeping: a failure is a warning, never a failed night."""
    try:
        removed = keep_parse_and_prune(Path(invocation_dir))
    except OSError as exc:
        log.warning(f"dbt's target folder not tidied: {exc}")
        return
    if removed:
        log.debug(f"removed {len(removed)} old dbt invocation folder(s) under {Path(invocation_dir).parent}")


def _collected_with_progress(stream, context: AssetExecutionContext) -> list:
    """Every event of the dbt invocation, with a progress line each twentieth of the way (the
    terminal's progress bar reads them: orchestration/defs/terminal.py)."""
    from dagster import AssetCheckResult, Output

    from .terminal import progress_message

    total = len(context.selected_asset_keys) + len(context.selected_asset_check_keys)
    step, done, events = max(1, total // 20), 0, []
    for event in stream:
        events.append(event)
        if isinstance(event, (Output, AssetCheckResult)):
            done += 1
            if done % step == 0:
                context.log.debug(progress_message("dbt", min(done, total), total))
    return events


def with_row_counts(events: list, manifest: Mapping[str, Any], warehouse: WarehouseResource, log) -> list:
    """The events, each table a model or seed built carrying its row count (`dagster/row_count`).

    dagster-dbt's fetch_row_counts() queries while dbt runs, through a second connection to the
    warehouse; a DuckDB file has one writer, and dbt holds it for the whole build, so every query
    would fail. Counted here after dbt exits instead, in one read-only connection. Views are not
    counted (their count would run the view's query), as with fetch_row_counts.
    """
    from dagster import MetadataValue, Output

    nodes = manifest.get("nodes", {})
    wanted = {}
    for index, event in enumerate(events):
        unique_id = (getattr(event, "metadata", None) or {}).get("unique_id")
        unique_id = getattr(unique_id, "value", unique_id)
        node = nodes.get(unique_id) if isinstance(event, Output) else None
        if node and node.get("relation_name") and node["config"].get("materialized") not in ("view", "ephemeral"):
            wanted[index] = node["relation_name"]
    if not wanted:
        return events
    try:
        with warehouse.connect(read_only=True) as conn:
            counts = {index: conn.execute(f"select count(*) from {relation}").fetchone()[0]
                      for index, relation in wanted.items()}
    except Exception as exc:  # a missing count is absent, never a reason to fail a built model
        log.warning(f"row counts of the dbt models not recorded: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        return events
    return [event.with_metadata({**event.metadata, "dagster/row_count": MetadataValue.int(counts[index])})
            if index in counts else event for index, event in enumerate(events)]


def mart_keys(dbt_assets_def: AssetsDefinition) -> list[AssetKey]:
    return [spec.key for spec in dbt_assets_def.specs if spec.group_name == "marts"]


def __getattr__(name: str):
    # The assets with the default settings, for code that predates build_dbt_assets.
    if name == "moments_dbt_assets":
        return build_dbt_assets(Settings.from_env())
    if name == "MART_KEYS":
        return mart_keys(build_dbt_assets(Settings.from_env()))
    raise AttributeError(name)

