"""Transient failures are retried with backoff; a failed run raises an alert (file, log, webhook)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AssetSelection,
    Backoff,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    build_run_status_sensor_context,
    define_asset_job,
    in_process_executor,
)

from conftest import settings_for
from orchestration.alerts import FailedStep, build_alert_payload
from orchestration.defs.ingestion import ingestion_assets
from orchestration.defs.resources import build_resources

OWNERS = AssetKey(["raw", "crm_owners"])


def owners_job(settings):
    """The real ingestion asset for one table, without its GX check (not what these tests are about)."""
    job = define_asset_job("load_owners", selection=AssetSelection.assets(OWNERS).without_checks(),
                           executor_def=in_process_executor)
    return Definitions(assets=ingestion_assets, jobs=[job], resources=build_resources(settings)).resolve_job_def("load_owners")


@pytest.fixture
def landing(tmp_path) -> Path:
    from orchestration.generator import generate

    landing = tmp_path / "landing"
    generate(landing, scale=0.05, seed=3)
    return landing


def events(instance, run_id, kind):
    return instance.all_logs(run_id, of_type=kind)


def test_ingestion_and_dbt_retry_with_exponential_backoff():
    from orchestration.defs.dbt import moments_dbt_assets

    for assets in (*ingestion_assets, moments_dbt_assets):
        policy = assets.op.retry_policy
        assert policy.max_retries >= 1 and policy.backoff == Backoff.EXPONENTIAL and policy.delay > 0


def test_a_warehouse_locked_by_another_process_is_retried_until_it_is_free(landing, tmp_path):
    settings = settings_for(tmp_path, landing)
    settings.warehouse_path.parent.mkdir(parents=True)
    job = owners_job(settings)
    # Another process holds DuckDB's write lock for 4 s (a BI tool on the working file, a stuck run).
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True);"
         " time.sleep(4); c.close()", str(settings.warehouse_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(instance=instance, raise_on_error=False)
            retries = events(instance, result.run_id, DagsterEventType.STEP_UP_FOR_RETRY)
            assert result.success
            assert len(retries) >= 1
            first_failure = retries[0].dagster_event.event_specific_data.error
            assert "lock" in (first_failure.message + str(first_failure.cause)).lower()
    finally:
        holder.wait(timeout=30)


def test_a_rejected_file_fails_at_once_and_the_failure_sensor_writes_the_alert(landing, tmp_path, monkeypatch):
    from orchestration.defs.resources import PathsResource
    from orchestration.defs.sensors import alert_on_run_failure

    # A file whose header lacks a required column: no retry can fix that.
    (landing / "crm" / "owners.csv").write_text("Name,Team\nAda,EMEA\n")
    settings = settings_for(tmp_path, landing)
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)  # a local receiver: no network call leaves the machine
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("MOT_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    try:
        with DagsterInstance.ephemeral() as instance:
            result = owners_job(settings).execute_in_process(instance=instance, raise_on_error=False)
            assert not result.success
            assert events(instance, result.run_id, DagsterEventType.STEP_UP_FOR_RETRY) == []
            run_failure = events(instance, result.run_id, DagsterEventType.RUN_FAILURE)[0].dagster_event
            context = build_run_status_sensor_context(
                sensor_name="alert_on_run_failure", dagster_event=run_failure, dagster_instance=instance,
                dagster_run=instance.get_run_by_id(result.run_id),
                resources={"paths": PathsResource(landing_dir=str(landing), published_path=str(settings.published_path),
                                                  reports_dir=str(settings.reports_dir))},
            ).for_run_failure()
            alert_on_run_failure(context)
    finally:
        server.shutdown()

    alerts = [json.loads(line) for line in (settings.reports_dir / "alerts" / "alerts.ndjson").read_text().splitlines()]
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["run_id"] == result.run_id and alert["job"] == "load_owners"
    assert [s["step"] for s in alert["failed_steps"]] == ["raw__crm_owners"]
    assert "crm/owners.csv" in alert["failed_steps"][0]["error"] and "Owner ID" in alert["failed_steps"][0]["error"]
    assert alert["run_url"].endswith(f"/runs/{result.run_id}")
    assert received == [alert]


def test_the_alert_payload_says_what_failed_where_and_links_the_run():
    payload = build_alert_payload(
        run_id="abc123", job_name="nightly",
        failed_steps=[FailedStep("moments_dbt_assets", "dbt build failed\nErrors parsed from dbt logs: ...")],
        run_error="Execution of run for \"nightly\" failed.", ui_url="http://dagster.internal:3000/",
    )
    assert payload["text"] == ("Dagster run of `nightly` failed at moments_dbt_assets: dbt build failed "
                               "(http://dagster.internal:3000/runs/abc123)")
    assert payload["failed_steps"] == [{"step": "moments_dbt_assets", "error": "dbt build failed"}]
    assert payload["run_url"] == "http://dagster.internal:3000/runs/abc123"
    no_steps = build_alert_payload("r1", "ingest", [], "run worker crashed", "http://localhost:3000")
    assert "failed at the run itself: run worker crashed" in no_steps["text"]
