"""The settle time (Settings.settle_seconds, MOT_SETTLE_SECONDS) holds for every night however it is
started: the Dagster definitions (`mot run`, the schedule, the sensor's runs, the UI) carry it in
their resources, `mot ingest` reads it, and a mistyped value is one message."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace

import duckdb
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.definitions import build_definitions
from orchestration.settings import Settings

from conftest import run_nightly, settings_for


def age(root, seconds: float) -> None:
    then = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def load_log(settings: Settings) -> dict[str, tuple[str, str]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return {f: (s, m) for f, s, m in conn.execute(
            "select source_file, status, message from ingest.load_log").fetchall()}


def test_the_settle_time_comes_from_the_environment_and_a_mistake_is_one_message(tmp_path):
    assert Settings.from_env({}).settle_seconds == 0
    assert Settings.from_env({"MOT_SETTLE_SECONDS": "300"}).settle_seconds == 300
    for wrong in ("soon", "-5", "nan", "inf"):
        result = CliRunner().invoke(main, ["ingest"], env={"MOT_SETTLE_SECONDS": wrong,
                                                           "MOT_WAREHOUSE_PATH": str(tmp_path / "w.duckdb")})
        assert result.exit_code == 1, result.output
        assert f"MOT_SETTLE_SECONDS='{wrong}'" in result.output and "Traceback" not in result.output


def test_a_night_leaves_a_file_still_being_written_for_a_later_night(small_sample, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(small_sample, landing)
    age(landing, 3600)
    owners = landing / "crm" / "owners.csv"
    owners.write_text(owners.read_text())  # a writer touched it a moment ago
    settings = replace(settings_for(tmp_path / "night", landing), settle_seconds=600)
    defs = build_definitions(settings)
    # the one set of resources every run of these definitions gets, however it is launched
    assert defs.resources["paths"].settle_seconds == 600
    assert {s.job_name for s in defs.schedules if s.job_name == "nightly"} == {"nightly"}

    result = run_nightly(settings)

    assert not result.success
    failed = {e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"}
    assert failed == {"raw__crm_owners"}, failed
    log = load_log(settings)
    status, message = log["crm/owners.csv"]
    assert status == "rejected" and "within the settle time of 600 s" in message, message
    assert log["crm/contacts.csv"][0] == "loaded"  # the settled files load all the same


def test_mot_ingest_reads_the_settle_time_from_the_environment(small_sample, tmp_path):
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    shutil.copy(small_sample / "crm" / "owners.csv", landing / "crm" / "owners.csv")
    warehouse = tmp_path / "w" / "warehouse.duckdb"
    env = {"MOT_LANDING_DIR": str(landing), "MOT_WAREHOUSE_PATH": str(warehouse), "MOT_SETTLE_SECONDS": "600"}

    fresh = CliRunner().invoke(main, ["ingest"], env=env)
    assert fresh.exit_code == 1 and "within the settle time of 600 s" in fresh.output, fresh.output
    flag = CliRunner().invoke(main, ["ingest", "--settle-seconds", "0"], env=env)  # the flag wins for this run
    assert flag.exit_code == 0, flag.output
    assert load_log(replace(Settings.from_env(env)))["crm/owners.csv"][0] == "loaded"
