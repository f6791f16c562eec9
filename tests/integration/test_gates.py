"""The quality gate: failing raw checks block dbt, failing mart checks block publish, and the
gate report names each failed check, its table and sample offending rows."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timedelta

import duckdb
from click.testing import CliRunner
from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from orchestration import gate_report, quality, summary
from orchestration.defs.checks import mart_checks, raw_checks
from orchestration.cli import main
from orchestration.defs.dbt import moments_dbt_assets
from orchestration.definitions import build_definitions

from conftest import run_nightly, settings_for
from wap_fixtures import copy_published


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def started_steps(result) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}


def test_a_failing_raw_check_blocks_dbt_and_publish_and_the_report_names_the_row(small_sample, baseline, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(small_sample, landing)
    contacts = landing / "crm" / "contacts.csv"
    lines = contacts.read_text().splitlines(keepends=True)
    row = lines[1].rstrip("\n").split(",")
    bad_contact, row[-1] = row[0], "2099-01-01 09:00:00"  # created in the future: a clock or export bug
    lines[1] = ",".join(row) + "\n"
    contacts.write_text("".join(lines))
    settings = settings_for(tmp_path / "night", landing)
    published = copy_published(baseline, tmp_path / "night")
    before = digest(published)

    result = run_nightly(settings)

    assert not result.success
    assert "moments_dbt_assets" not in started_steps(result)
    assert "published__marts" not in started_steps(result)
    assert digest(published) == before
    report = gate_report.build(result.all_events, result.run_id)
    gate_report.write(settings.reports_dir, report)
    assert report["status"] == "failed"
    [contacts_check] = [c for c in report["failed_checks"] if c["table"] == "raw.crm_contacts"]
    [future] = [f for f in contacts_check["failures"]
                if f["column"] == "created_at" and f["expectation"] == "expect_column_values_to_be_between"]
    assert future["severity"] == "critical" and future["unexpected_count"] == 1
    assert [r["contact_id"] for r in future["sample_rows"]] == [bad_contact]
    assert {c["table"] for c in report["failed_checks"]} == {"raw.crm_contacts"}  # nothing else was wrong

    printed = CliRunner().invoke(main, ["report"], env={"MOT_REPORTS_DIR": str(settings.reports_dir)})
    assert printed.exit_code == 0, printed.output
    assert "FAILED gx_raw_suite on table raw.crm_contacts" in printed.output
    assert bad_contact in printed.output and "2099-01-01" in printed.output

    index = quality.data_docs_index(settings.reports_dir)
    assert index.exists()
    pages = list((index.parent / "validations").rglob("*.html"))
    assert any("raw_crm_contacts" in str(p) for p in pages)
    assert any("raw_web_events" in str(p) for p in pages)


def test_a_failing_mart_check_blocks_publish(baseline, tmp_path):
    """A mart that dbt built but that breaks a rule of the suite (a rate above 1) is not published."""
    settings = settings_for(tmp_path, baseline.root / "unused-landing")
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copy2(baseline.warehouse, settings.warehouse_path)
    published = copy_published(baseline, tmp_path)
    before = digest(published)
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        conn.execute("update marts.mart_speed_to_lead set fmot_rate = 1.25 where bucket_order = 1")
    # The marts as built, their GX checks and publish: the nightly job minus ingest and dbt.
    gate_job = define_asset_job(
        "mart_gate",
        selection=AssetSelection.checks(*mart_checks) | AssetSelection.assets(["published", "marts"]),
        executor_def=in_process_executor,
    )
    defs = Definitions.merge(build_definitions(settings), Definitions(jobs=[gate_job]))

    result = defs.resolve_job_def("mart_gate").execute_in_process(raise_on_error=False)

    assert not result.success
    assert "published__marts" not in started_steps(result)
    assert digest(published) == before
    report = gate_report.build(result.all_events, result.run_id)
    # the run says plainly that it did not publish, and what BI reads instead
    assert report["published"] is False and "publish: SKIPPED" in gate_report.render(report)
    assert "NOT published by this night" in summary.render(settings, published_now=False)
    [check] = report["failed_checks"]
    assert (check["check"], check["table"]) == ("gx_mart_suite", "marts.mart_speed_to_lead")
    rate = next(f for f in check["failures"] if f["column"] == "fmot_rate")
    assert rate["severity"] == "critical" and rate["unexpected_count"] > 0
    assert all(r["fmot_rate"] == 1.25 and r["bucket_order"] == 1 for r in rate["sample_rows"])
    assert report["checks_passed"] == len(mart_checks) - 1


def test_a_failing_error_severity_dbt_test_blocks_publish(baseline, tmp_path):
    """A contact loses its creation time after ingest (as if the raw gate had been bypassed): dbt's
    not_null test on the source fails at error severity, and the marts are not published."""
    settings = settings_for(tmp_path, baseline.root / "unused-landing")
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copy2(baseline.warehouse, settings.warehouse_path)
    published = copy_published(baseline, tmp_path)
    before = digest(published)
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        conn.execute("update raw.crm_contacts set created_at = null where contact_id = (select min(contact_id) from raw.crm_contacts)")
    dbt_gate_job = define_asset_job(
        "dbt_gate",
        selection=AssetSelection.assets(moments_dbt_assets) | AssetSelection.checks(*mart_checks)
        | AssetSelection.assets(["published", "marts"]),
        executor_def=in_process_executor,
    )
    defs = Definitions.merge(build_definitions(settings), Definitions(jobs=[dbt_gate_job]))

    result = defs.resolve_job_def("dbt_gate").execute_in_process(raise_on_error=False)

    assert not result.success
    assert "published__marts" not in started_steps(result)
    assert digest(published) == before
    report = gate_report.build(result.all_events, result.run_id)
    assert [s["step"] for s in report["failed_steps"]] == ["moments_dbt_assets"]
    assert "source_not_null_crm_crm_contacts_created_at" in json.dumps(report), gate_report.render(report)


def test_every_suite_passes_on_an_uninterrupted_night(baseline):
    report = gate_report.read_last(baseline.root / "reports")
    assert report["status"] == "passed", gate_report.render(report)
    assert report["published"] is True and "SKIPPED" not in gate_report.render(report)
    assert report["checks_passed"] >= len(mart_checks) + len(raw_checks)  # dbt tests count too


def test_volume_against_the_previous_load_stays_within_the_suite_band(tmp_path):
    band = quality.suite_meta("raw_crm_contacts")["volume_band"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        conn.execute("create schema ingest")
        conn.execute("create table ingest.load_log (raw_table varchar, source_file varchar, status varchar, "
                     "rows_loaded bigint, loaded_at timestamp)")
        night = datetime(2026, 3, 1, 3)
        conn.execute("insert into ingest.load_log values ('crm_contacts', 'crm/contacts.csv', 'loaded', 1000, ?)", [night])
        assert quality.volume_failures(conn, "raw_crm_contacts", "crm_contacts") == []  # no baseline yet
        kept = int(1000 * band["min_ratio"]) + 1
        conn.execute("insert into ingest.load_log values ('crm_contacts', 'crm/contacts.csv', 'replaced', ?, ?)",
                     [kept, night + timedelta(days=1)])
        assert quality.volume_failures(conn, "raw_crm_contacts", "crm_contacts") == []
        shrunk = int(kept * band["min_ratio"]) - 1
        conn.execute("insert into ingest.load_log values ('crm_contacts', 'crm/contacts.csv', 'replaced', ?, ?)",
                     [shrunk, night + timedelta(days=2)])
        [failure] = quality.volume_failures(conn, "raw_crm_contacts", "crm_contacts")
    assert failure.severity == band["severity"] == "critical"
    assert failure.rows[0]["rows_loaded"] == shrunk and failure.rows[0]["baseline_rows"] == kept


def plant(path, line_number: int, change) -> dict:
    """Rewrite one line of a landing file through `change`; the line's fields before the change."""
    lines = path.read_text().splitlines(keepends=True)
    before = lines[line_number - 1]
    lines[line_number - 1] = change(before.rstrip("\n")) + "\n"
    path.write_text("".join(lines))
    return before


def test_one_bad_event_among_many_fails_the_raw_gate_whatever_the_sample(small_sample, tmp_path, monkeypatch, capfd):
    """One future timestamp among ~27,000 web events and one 30-hour time log fail the gate, named by
    file and row, though GX sees only one vector (2,048 rows) of each table: the row-level checks
    run in SQL over every row. A bad contact's row is shown with the person masked."""
    monkeypatch.setattr(quality, "SAMPLE_ROWS", 2_048)
    landing = tmp_path / "landing"
    shutil.copytree(small_sample, landing)
    shard = sorted((landing / "web").glob("events_*.ndjson"))[len(list((landing / "web").glob("*.ndjson"))) // 2]
    middle = len(shard.read_text().splitlines()) // 2
    plant(shard, middle, lambda line: json.dumps({**json.loads(line), "event_timestamp": 4_070_908_800_000_000}))  # 2099
    time_logs = landing / "crm" / "time_logs.csv"
    log_row = len(time_logs.read_text().splitlines()) - 7
    plant(time_logs, log_row + 1, lambda line: ",".join(line.split(",")[:-1] + ["30"]))  # +1: the header line
    contacts = landing / "crm" / "contacts.csv"
    person = plant(contacts, 3, lambda line: ",".join(line.split(",")[:-1] + ["1999-12-31 09:00:00"]))
    name, surname, email, phone = person.split(",")[1:5]
    settings = settings_for(tmp_path / "night", landing)

    result = run_nightly(settings)

    assert not result.success
    assert "moments_dbt_assets" not in started_steps(result)
    report = gate_report.build(result.all_events, result.run_id)
    gate_report.write(settings.reports_dir, report)
    checks = {c["table"]: c for c in report["failed_checks"]}
    assert set(checks) == {"raw.web_events", "raw.crm_time_logs", "raw.crm_contacts"}, gate_report.render(report)

    def failure(table: str, column: str) -> dict:
        [found] = [f for f in checks[table]["failures"]
                   if f["column"] == column and f["expectation"] == "expect_column_values_to_be_between"]
        assert found["severity"] == "critical" and found["unexpected_count"] == 1, found
        [row] = found["sample_rows"]
        return row

    event = failure("raw.web_events", "event_timestamp_micros")
    assert (event["_source_file"], event["_row_number"]) == (f"web/{shard.name}", middle)
    assert event["event_timestamp_micros"] == 4_070_908_800_000_000
    log = failure("raw.crm_time_logs", "hours")
    assert (log["_source_file"], log["_row_number"], log["hours"]) == ("crm/time_logs.csv", log_row, 30.0)
    contact = failure("raw.crm_contacts", "created_at")
    assert contact["created_at"].startswith("1999-12-31")
    assert contact["first_name"] == contact["last_name"] == contact["email"] == contact["phone"] == quality.MASK
    [web] = [c for c in result.get_asset_check_evaluations() if c.asset_key.path == ["raw", "web_events"]]
    assert web.metadata["rows_checked"].value > 25_000  # every event, not the GX sample

    from dagster._serdes import serialize_value

    printed = capfd.readouterr()
    # what the run printed, its gate report and GX results, and its events as Dagster's run storage keeps them
    stored = serialize_value(list(result.all_events))
    assert "4070908800000000" in stored  # the events do carry the failed rows, so the scan below means something
    shown = [gate_report.render(report), json.dumps(report), printed.out, printed.err, stored]
    shown += [p.read_text(errors="replace") for p in settings.reports_dir.rglob("*") if p.suffix in (".json", ".html")]
    for secret in (name, surname, email, phone):
        assert secret and not any(secret in text for text in shown), secret
