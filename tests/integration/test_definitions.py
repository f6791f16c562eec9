"""The Dagster definitions load and validate; the CLI documents every command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestration.cli import main

BIN = Path(sys.executable).parent


def test_definitions_validate_with_the_dagster_cli(tmp_path):
    completed = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-m", "orchestration.definitions"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_graph_connects_landing_files_to_the_published_marts():
    from dagster import AssetKey

    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    assert AssetKey(["raw", "web_events"]) in keys and AssetKey(["published", "marts"]) in keys
    upstream_of_publish = graph.get(AssetKey(["published", "marts"])).parent_keys
    assert AssetKey(["marts", "fct_prospect_moments"]) in upstream_of_publish
    # dbt sources map onto the ingestion assets, so staging hangs off the raw tables.
    assert AssetKey(["raw", "crm_contacts"]) in graph.get(AssetKey(["staging", "stg_crm__contacts"])).parent_keys
    assert defs.resolve_schedule_def("nightly").cron_schedule


def test_loading_the_definitions_reads_the_prepared_manifest_and_parses_nothing(tmp_path):
    """No `dbt parse` on load: the definitions are built from the manifest `mot parse` wrote, which
    stays untouched. How long the load takes is the benchmark's figure (`make bench`), not a test's:
    a timed test fails on a busy machine and proves nothing on a quiet one."""
    from orchestration.settings import Settings

    settings = Settings.from_env()
    manifest = settings.manifest_path
    assert manifest.exists(), "run `mot parse` (make parse) first"
    before = {p: p.stat().st_mtime_ns for p in manifest.parent.iterdir() if p.is_file()}
    script = (
        "from orchestration.definitions import defs\n"
        "defs.resolve_asset_graph(); defs.resolve_all_job_defs()\n"
        "print('LOADED', len(list(defs.resolve_asset_graph().get_all_asset_keys())))\n"
    )
    assets = int(_load_in_a_fresh_interpreter(script, tmp_path).split("LOADED")[-1])
    assert assets > 60, f"only {assets} assets loaded"
    after = {p: p.stat().st_mtime_ns for p in manifest.parent.iterdir() if p.is_file()}
    assert after == before, "loading the definitions wrote into dbt's target folder (a re-parse)"


def test_loading_the_definitions_imports_no_library_only_a_run_needs(tmp_path):
    """DuckDB, Great Expectations, pandas and Altair are imported by the steps that use them: a code
    location (or `dagster definitions validate`) loading the definitions pays for none of them."""
    script = (
        "import sys\n"
        "from orchestration.definitions import defs\n"
        "defs.resolve_asset_graph(); defs.resolve_all_job_defs()\n"
        "late = ('duckdb', 'great_expectations', 'pandas', 'altair')\n"
        "print('LOADED', *sorted(m for m in late if m in sys.modules))\n"
    )
    assert _load_in_a_fresh_interpreter(script, tmp_path).split("LOADED")[-1].split() == []


def test_dbt_models_are_grouped_by_folder_and_every_source_is_an_ingestion_asset():
    import json

    from orchestration.definitions import defs
    from orchestration.defs.dbt import moments_dbt_assets
    from orchestration.defs.ingestion import ingestion_assets
    from orchestration.settings import Settings

    manifest = json.loads(Settings.from_env().manifest_path.read_text())
    groups = {spec.key.path[-1]: spec.group_name for spec in moments_dbt_assets.specs}
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert models and all(groups[n["name"]] == n["fqn"][1] for n in models)
    assert {n["fqn"][1] for n in models} == {"staging", "intermediate", "marts"}
    assert {groups[n["name"]] for n in manifest["nodes"].values() if n["resource_type"] == "seed"} == {"seeds"}

    raw_keys = {key for assets in ingestion_assets for key in assets.keys}
    graph = defs.resolve_asset_graph()
    dbt_keys = set(moments_dbt_assets.keys)
    upstream_of_dbt = {parent for key in dbt_keys for parent in graph.get(key).parent_keys} - dbt_keys
    # Every dbt source resolves to a raw table that ingestion produces, except the load log that
    # every ingestion asset writes (an external asset of its own): no other dangling source.
    from dagster import AssetKey

    load_log = AssetKey(["ingest", "load_log"])
    assert load_log in upstream_of_dbt
    assert upstream_of_dbt - {load_log} and upstream_of_dbt - {load_log} <= raw_keys
    assert len(manifest["sources"]) == len(upstream_of_dbt)


def test_every_asset_that_opens_the_warehouse_is_in_the_one_writer_pool(tmp_path):
    import shutil

    from dagster import DagsterInstance

    from orchestration.defs.dbt import moments_dbt_assets
    from orchestration.defs.execution import WAREHOUSE_POOL, WAREHOUSE_RUN_TAG
    from orchestration.definitions import defs
    from orchestration.defs.ingestion import ingestion_assets
    from orchestration.settings import PROJECT_DIR

    for assets in (*ingestion_assets, moments_dbt_assets):
        assert assets.op.pool == WAREHOUSE_POOL, assets.keys
    for job in ("nightly", "ingest", "hourly_open_leads"):
        assert WAREHOUSE_RUN_TAG.items() <= defs.resolve_job_def(job).tags.items()
    # The instance configuration that `make dev` installs limits that pool, and warehouse runs, to one.
    shutil.copy(PROJECT_DIR / "orchestration" / "dagster.yaml", tmp_path / "dagster.yaml")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        config = instance.get_concurrency_config()
    assert config.pool_config.default_pool_limit == 1
    assert {"key": "mot/warehouse", "limit": 1} in config.run_queue_config.tag_concurrency_limits


def test_the_web_events_are_partitioned_by_day_and_the_snapshot_exports_are_not():
    from dagster import AssetKey

    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    partitioned = {key.to_user_string() for key in graph.get_all_asset_keys() if graph.get(key).partitions_def}
    assert partitioned == {"raw/web_events"}
    keys = graph.get(AssetKey(["raw", "web_events"])).partitions_def.get_partition_keys()
    assert keys[0] == "2026-01-01"


def test_the_hourly_job_refreshes_the_open_leads_mart_and_publishes():
    from orchestration.definitions import defs

    job = defs.resolve_job_def("hourly_open_leads")
    assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} == {"marts/mart_open_leads", "published/marts"}
    assert defs.resolve_schedule_def("hourly_open_leads").job_name == "hourly_open_leads"


@pytest.mark.parametrize("command", [[], ["generate"], ["ingest"], ["parse"], ["run"], ["summary"]])
def test_every_cli_command_has_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def _load_in_a_fresh_interpreter(script: str, dagster_home) -> str:
    """Run `script` in a new Python, as a code location loads the definitions; its stdout, which
    must hold the script's LOADED line.

    The script runs from a file, not `python -c`: with the `spark` extra installed, pyspark takes a
    main module without a file for its own doctests and exits 0 on import (through GX), silently."""
    path = Path(dagster_home) / "load_definitions.py"
    path.write_text(script)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_IS_DEV_CLI"}
    completed = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300,
                               env={**env, "DAGSTER_HOME": str(dagster_home)})
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "LOADED" in completed.stdout, f"the load ended early:\n{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}"
    return completed.stdout
