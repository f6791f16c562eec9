"""The Dagster webserver serves the asset graph and the schedules (queried through GraphQL).

`dagster-webserver` alone, not `dagster dev`: started in its own process group on a free port
with a throwaway DAGSTER_HOME, and stopped by its process id (STACK-NOTES.md).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT_SECONDS = 180

QUERY = """
{
  assetNodes { assetKey { path } groupName dependencyKeys { path } }
  workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError {
    ... on RepositoryLocation { repositories {
      schedules { name cronSchedule executionTimezone pipelineName }
      sensors { name }
    } }
    ... on PythonError { message }
  } } } }
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture
def webserver(tmp_path):
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "MOT_WAREHOUSE_PATH": str(tmp_path / "wh.duckdb"),
           "MOT_NIGHTLY_CRON": "30 2 * * *", "MOT_TIMEZONE": "Europe/Berlin"}
    log = open(tmp_path / "webserver.log", "w")
    process = subprocess.Popen(
        [str(BIN / "dagster-webserver"), "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            assert process.poll() is None, (tmp_path / "webserver.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "webserver did not answer in time"
                time.sleep(1)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # its process group: the code server it spawned goes too
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        log.close()
    assert process.returncode is not None


def test_the_webserver_serves_the_connected_graph_and_the_schedules(webserver):
    answer = graphql(webserver, QUERY)
    assert "errors" not in answer, answer
    nodes = {"/".join(n["assetKey"]["path"]): n for n in answer["data"]["assetNodes"]}
    assert nodes["raw/web_events"]["groupName"] == "ingestion"
    assert nodes["staging/stg_crm__contacts"]["groupName"] == "staging"
    assert {"/".join(d["path"]) for d in nodes["staging/stg_crm__contacts"]["dependencyKeys"]} >= {"raw/crm_contacts"}
    assert "marts/fct_prospect_moments" in {"/".join(d["path"]) for d in nodes["published/marts"]["dependencyKeys"]}

    [entry] = answer["data"]["workspaceOrError"]["locationEntries"]
    [repository] = entry["locationOrLoadError"]["repositories"]
    schedules = {s["name"]: s for s in repository["schedules"]}
    # The cron and time zone come from the environment the server was started with.
    assert schedules["nightly"]["cronSchedule"] == "30 2 * * *"
    assert schedules["nightly"]["executionTimezone"] == "Europe/Berlin"
    assert schedules["hourly_open_leads"]["pipelineName"] == "hourly_open_leads"
    assert {s["name"] for s in repository["sensors"]} == {"landing_files", "alert_on_run_failure"}
