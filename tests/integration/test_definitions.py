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


@pytest.mark.parametrize("command", [[], ["generate"], ["ingest"], ["parse"], ["run"], ["summary"]])
def test_every_cli_command_has_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
