"""One way to run a night: one guard of the warehouse, nights with nothing to do, errors for people,
sample rows without PII.

Real `mot run` subprocesses on the small sample, real Dagster runs, a real GX validation.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from orchestration.settings import PROJECT_DIR
from wap_fixtures import mot_env

MOT = str(Path(sys.executable).parent / "mot")
HOLD_LOCK = """
import fcntl, os, sys, time
path = sys.argv[1]
os.makedirs(os.path.dirname(path), exist_ok=True)
fd = os.open(path, os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0); os.write(fd, f"{os.getpid()}\\n".encode())
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mot_run(env: dict, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run([MOT, "run", *args], cwd=PROJECT_DIR, env={**env, **extra_env}, capture_output=True,
                          text=True, timeout=900)


def hold_lock(warehouse: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(warehouse.parent / ".night.lock"), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


class Nights:
    def __init__(self, root: Path, env: dict, first, second):
        self.root, self.env, self.first, self.second = root, env, first, second
        self.published = root / "published" / "marts.duckdb"
        self.warehouse = root / "warehouse" / "warehouse.duckdb"


@pytest.fixture(scope="module")
def two_nights(small_sample, tmp_path_factory) -> Nights:
    """Two `mot run`s started together on a fresh warehouse."""
    root = tmp_path_factory.mktemp("two_nights")
    env = mot_env(root, small_sample)
    lock = root / "warehouse" / ".night.lock"
    first = subprocess.Popen([MOT, "run"], cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
        assert first.poll() is None and time.monotonic() < deadline, first.stdout.read()
        time.sleep(0.05)
    second = subprocess.Popen([MOT, "run"], cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    outputs = [p.communicate(timeout=900)[0] for p in (first, second)]
    return Nights(root, env, (first.returncode, outputs[0], first.pid), (second.returncode, outputs[1]))


def test_two_concurrent_nights_both_finish_the_second_waits_and_finds_nothing_new(two_nights):
    (code1, out1, pid1), (code2, out2) = two_nights.first, two_nights.second
    assert code1 == 0, out1[-5000:]
    assert code2 == 0, out2[-5000:]
    assert f"waiting for the night already running (pid {pid1})" in out2
    assert "no new data" in out2  # the first night loaded and published every file
    assert "Traceback" not in out1 + out2
    # no check failed, on a lock or otherwise: the gate report of the night that ran says so
    gate = json.loads((two_nights.root / "reports" / "gate" / "last.json").read_text())
    assert gate["status"] == "passed" and gate["checks_passed"] > 0, gate
    # one line per stage, with counts and durations; Dagster's and dbt's output in the log file
    for stage in ("ingest", "raw gate", "dbt build", "mart gate", "publish"):
        assert any(re.match(rf"\s+{stage}\s+\d+\.\ds  \S", line) for line in out1.splitlines()), out1
    assert " 0 failed" in out1 and "Running dbt command" not in out1 and "AssetObservation" not in out1
    assert "BetaWarning" not in out1 and "Telemetry" not in out1
    assert len(out1.splitlines()) <= 60, out1
    logs = list((two_nights.root / "reports" / "logs").glob("night-*.log"))
    assert any("Running dbt command" in log.read_text() for log in logs)


def test_a_night_with_no_new_file_says_so_and_does_not_republish(two_nights):
    before = digest(two_nights.published)
    result = mot_run(two_nights.env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no new data" in result.stdout
    assert digest(two_nights.published) == before


def test_a_changed_mapping_is_new_data(two_nights, small_sample):
    """The loader reloads files whose mapping or time zone changed: a night must not call that "no new data"."""
    from dataclasses import replace

    from orchestration import night
    from orchestration.ingestion import load_config

    specs = load_config()
    assert night.new_or_changed(specs, small_sample, two_nights.warehouse, two_nights.published) == []
    changed = [replace(s, timezone="Europe/Berlin") if s.raw_table == "crm_owners" else s for s in specs]
    assert night.new_or_changed(changed, small_sample, two_nights.warehouse, two_nights.published) == ["crm/owners.csv"]


def test_the_schedule_and_the_landing_sensor_leave_a_night_with_nothing_new_alone(two_nights, small_sample):
    """The same question as `mot run`: the nightly schedule skips, saying why, and the landing
    sensor, even with a fresh cursor, requests no file the warehouse already holds as it is."""
    from dataclasses import replace

    from dagster import DagsterInstance, build_schedule_context, build_sensor_context

    from orchestration.defs.ingestion import table_specs
    from orchestration.defs.jobs import ingest_job, nightly_job
    from orchestration.defs.resources import PathsResource
    from orchestration.defs.schedules import nightly_schedule
    from orchestration.defs.sensors import build_landing_files_sensor
    from orchestration.settings import Settings

    settings = replace(Settings.from_env(), landing_dir=small_sample, warehouse_path=two_nights.warehouse,
                       publish_dir=two_nights.published.parent)
    specs = table_specs(settings.sources_config)
    with DagsterInstance.ephemeral() as instance:
        skipped = nightly_schedule(nightly_job(), settings, specs).evaluate_tick(
            build_schedule_context(instance=instance))
        assert not skipped.run_requests and "no new data" in skipped.skip_message

        paths = PathsResource(landing_dir=str(small_sample), published_path=str(two_nights.published),
                              reports_dir=str(two_nights.root / "reports"))

        def tick(table_specs_now):
            sensor = build_landing_files_sensor(ingest_job(), table_specs_now, settings)
            return sensor(build_sensor_context(instance=instance, cursor=None, resources={"paths": paths}))

        fresh = tick(specs)
        assert not fresh.run_requests, [r.tags for r in fresh.run_requests]
        assert "already in the warehouse" in fresh.skip_reason.skip_message
        # a file read with another mapping now is new to the warehouse: that one is requested
        changed = tuple(replace(s, timezone="Europe/Berlin") if s.raw_table == "crm_owners" else s for s in specs)
        [request] = tick(changed).run_requests
        assert request.tags["mot/landing_files"] == "crm/owners.csv"


def test_a_missing_landing_folder_is_an_error_that_names_it_and_publishes_nothing(two_nights):
    before = digest(two_nights.published)
    missing = two_nights.root / "no_such_landing"
    for result in (mot_run(two_nights.env, "--landing", str(missing)),
                   mot_run(two_nights.env, MOT_LANDING_DIR=str(missing))):
        assert result.returncode != 0
        assert str(missing) in result.stderr and "does not exist" in result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert digest(two_nights.published) == before
    ingest = subprocess.run([MOT, "ingest", "--landing", str(missing)], cwd=PROJECT_DIR, env=two_nights.env,
                            capture_output=True, text=True, timeout=300)
    assert ingest.returncode != 0 and str(missing) in ingest.stderr and "Traceback" not in ingest.stderr


def test_a_locked_warehouse_is_refused_with_one_message(two_nights):
    before = digest(two_nights.published)
    holder = hold_lock(two_nights.warehouse, 60)
    try:
        result = mot_run(two_nights.env, "--force", MOT_LOCK_TIMEOUT_SECONDS="1")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode != 0
    assert f"waiting for the night already running (pid {holder.pid})" in result.stdout
    assert "in use by another night" in result.stderr and f"pid {holder.pid}" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert digest(two_nights.published) == before


def test_a_bad_configuration_or_a_missing_manifest_gives_one_message(two_nights, tmp_path):
    bad = tmp_path / "sources.yml"
    bad.write_text("sources:\n  crm:\n    tables:\n      contacts: {files: 'x.csv', format: xls}\n")
    no_target = tmp_path / "no_target"
    for extra, words in (({"MOT_SOURCES_CONFIG": str(bad)}, str(bad)),
                         ({"MOT_SOURCES_CONFIG": str(tmp_path / "nope.yml")}, "nope.yml"),
                         ({"DBT_TARGET_PATH": str(no_target)}, "mot parse")):
        result = mot_run(two_nights.env, "--force", **extra)
        assert result.returncode != 0, result.stdout
        assert words in result.stderr, result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_dagster_run_waits_for_the_night_holding_the_warehouse(small_sample, tmp_path):
    """Runs started by Dagster (UI, schedule, sensor) take the same lock when their resources are set up."""
    from dagster import AssetKey, AssetSelection, DagsterInstance, Definitions, define_asset_job, in_process_executor

    from conftest import settings_for
    from orchestration.defs.ingestion import ingestion_assets
    from orchestration.defs.resources import build_resources

    settings = settings_for(tmp_path, small_sample)
    job = define_asset_job("load_owners", selection=AssetSelection.assets(AssetKey(["raw", "crm_owners"])),
                           executor_def=in_process_executor)
    job = Definitions(assets=ingestion_assets, jobs=[job], resources=build_resources(settings)).resolve_job_def("load_owners")
    holder = hold_lock(settings.warehouse_path, 3)
    try:
        started = time.monotonic()
        with DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(instance=instance, raise_on_error=False)
            messages = [e.user_message for e in instance.all_logs(result.run_id)]
    finally:
        holder.wait(timeout=30)
    assert result.success
    assert time.monotonic() - started >= 2.5
    assert any(f"waiting for the night already running (pid {holder.pid})" in m for m in messages), messages


def test_gate_samples_and_data_docs_mask_pii(tmp_path):
    """A raw suite that fails on rows holding names, e-mails and phones shows none of them."""
    from orchestration import gate_report, quality

    rows = [
        {"contact_id": None, "first_name": "Ada", "last_name": "Lovelace", "email": "ada.lovelace@example.com",
         "phone": "+44 20 7946 0001", "_extra": '{"Mobile": "+44 7700 900123"}'},
        {"contact_id": "c2", "first_name": "Grace", "last_name": "Hopper", "email": None,
         "phone": "+1 202 555 0102", "_extra": None},
    ]
    frame = pd.DataFrame([{**row, "lead_source": "web", "preferred_contact_method": None, "lifecycle_stage": "lead",
                           "owner_id": "o1", "referred_by_contact_id": None,
                           "created_at": pd.Timestamp("2026-01-02 10:00:00"), "created_at_precision": "second",
                           "_source_file": "crm/contacts.csv", "_row_number": i + 1, "_file_checksum": "x",
                           "_loaded_at": pd.Timestamp("2026-01-03"), "_source_timezone": "UTC", "_load_id": "l",
                           "_mapping": None} for i, row in enumerate(rows)])
    reports = tmp_path / "gx"
    outcome = quality.validate("raw_crm_contacts", "crm_contacts", frame, reports, "pii-test")
    assert not outcome.passed
    failed = [f for f in outcome.failures if f.column == "contact_id"]
    assert failed and failed[0].rows, outcome.as_dict()
    for row in failed[0].rows:
        assert row["first_name"] == row["last_name"] == row["email"] == row["phone"] == quality.MASK
        assert row["_extra"] == quality.MASK and row["lead_source"] == "web"  # the rest stays readable
    secrets = ["Ada", "Lovelace", "ada.lovelace", "Grace", "Hopper", "7946", "555 0102", "900123"]
    report = {"run_id": "pii-test", "written_at": "now", "status": "failed", "checks_passed": 0,
              "failed_checks": [{"check": "gx_raw_suite", "asset": "raw/crm_contacts", "table": "raw.crm_contacts",
                                 "suite": "raw_crm_contacts", "failures": [f.as_dict() for f in outcome.failures]}],
              "warnings": [], "failed_steps": []}
    shown = [gate_report.render(report), json.dumps(report), json.dumps(outcome.as_dict()),
             "\n".join(f.describe() for f in outcome.failures)]
    shown += [p.read_text(errors="replace") for p in reports.rglob("*") if p.is_file() and p.suffix in (".json", ".html")]
    assert any("data_docs" in str(p) for p in reports.rglob("*.html"))
    for text in shown:
        for secret in secrets:
            assert secret not in text


def test_a_night_started_through_dagster_writes_its_gate_report(nightly):
    """Not only `mot run`: the publish step writes the night's gate report (the failure sensor a failed one's)."""
    report = json.loads((nightly.settings.reports_dir / "gate" / "last.json").read_text())
    assert report["run_id"] == nightly.result.run_id
    assert report["checks_passed"] > 0


def test_dbt_tables_carry_their_row_counts_and_every_check_a_description(nightly):
    """Row counts on the dbt model assets, read from the warehouse once dbt has finished; the
    counts are the tables' own. Every check, GX suite or dbt test, says what it checks."""
    import duckdb

    from orchestration.definitions import build_definitions

    counts = {}
    for event in nightly.result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            if materialization.asset_key.path[0] in ("staging", "intermediate", "marts", "seeds") or \
                    materialization.asset_key.path[-1].startswith(("fct_", "dim_", "mart_")):
                row_count = materialization.metadata.get("dagster/row_count")
                if row_count is not None:
                    counts[materialization.asset_key.path[-1]] = row_count.value
    assert {"fct_prospect_moments", "dim_prospects", "mart_speed_to_lead"} <= counts.keys(), sorted(counts)
    with duckdb.connect(str(nightly.settings.warehouse_path), read_only=True) as conn:
        assert counts["fct_prospect_moments"] == conn.execute(
            "select count(*) from marts.fct_prospect_moments").fetchone()[0] > 0

    graph = build_definitions(nightly.settings).resolve_asset_graph()
    checks = list(graph.asset_check_keys)
    assert checks and all(graph.get_check_spec(key).description for key in checks)
    assert any(graph.get_check_spec(key).description.startswith("dbt test not_null on ") for key in checks)
