"""The gate report: which checks failed in a run, on which table, with sample offending rows.

Built from the run's Dagster events (GX suites and dbt tests are both asset checks), written as
JSON to $MOT_REPORTS_DIR/gate/last.json (and gate/runs/<run id>.json), printed as text by
`mot run` when the gate fails and by `mot report` afterwards.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

GATE_DIR = "gate"
MAX_ROWS_SHOWN = 5
PUBLISHED_ASSET = ["published", "marts"]  # defs/publish.py PUBLISHED_KEY (plain Python here: no Dagster import)


def build(events, run_id: str, published: bool | None = None) -> dict:
    """The report of one run from its events (an ExecuteInProcessResult's `all_events`, or the event log).
    `published` says whether the run replaced the published file; by default, whether its events
    hold the publish step's materialization (the publish step itself, writing the report before that
    event exists, says True)."""
    failed_checks, warnings, failed_steps, passed, materialized = [], [], [], 0, False
    failed_tests_seen = set()
    for event in events:
        kind = getattr(event, "event_type_value", None)
        if kind == "ASSET_MATERIALIZATION":
            materialized = materialized or \
                list(event.event_specific_data.materialization.asset_key.path) == PUBLISHED_ASSET
        elif kind == "ASSET_OBSERVATION":
            # dbt tests outside Dagster's check selection (on sources, singular tests) arrive as
            # observations, once per upstream table: a failed one is reported once, by its name.
            entry = _failed_test_observation(event.event_specific_data.asset_observation)
            if entry and entry["check"] not in failed_tests_seen:
                failed_tests_seen.add(entry["check"])
                failed_checks.append(entry)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            entry = _check_entry(evaluation)
            if evaluation.passed:
                passed += 1
                if entry["failures"]:
                    warnings.append(entry)
            else:
                failed_checks.append(entry)
        elif kind == "STEP_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            message = error.message if error else ""
            if "blocking asset check" in message:
                continue  # a failed blocking check fails its step too: it is reported once, as the check
            failed_steps.append({"step": event.step_key, "error": _first_line(message)})
    return {
        "run_id": run_id,
        "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "status": "failed" if failed_checks or failed_steps else "passed",
        "checks_passed": passed,
        "failed_checks": failed_checks,
        "warnings": warnings,
        "failed_steps": failed_steps,
        # whether this run replaced the file BI reads: a failed gate or step keeps the previous one
        "published": materialized if published is None else published,
    }


def write(reports_dir: Path, report: dict) -> Path:
    gate = Path(reports_dir) / GATE_DIR
    (gate / "runs").mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, default=str)
    (gate / "runs" / f"{report['run_id']}.json").write_text(text)
    last = gate / "last.json"
    scratch = last.with_suffix(".json.tmp")
    scratch.write_text(text)
    scratch.replace(last)
    return last


def read_last(reports_dir: Path) -> dict | None:
    last = Path(reports_dir) / GATE_DIR / "last.json"
    return json.loads(last.read_text()) if last.exists() else None


def render(report: dict) -> str:
    lines = [f"Gate report of run {report['run_id']} ({report['written_at']}): {report['status'].upper()}",
             f"  checks passed: {report['checks_passed']}, failed: {len(report['failed_checks'])}, "
             f"passed with warnings: {len(report['warnings'])}"]
    if report.get("published") is False:  # reports written before the field existed say nothing
        lines.append("  publish: SKIPPED by this run: BI still reads the file published before")
    for entry in report["failed_checks"]:
        lines.append(f"\nFAILED {entry['check']} on table {entry['table']}")
        lines += _describe_failures(entry)
    if report["failed_steps"]:
        lines.append("\nFailed steps:")
        lines += [f"  {step['step']}: {step['error']}" for step in report["failed_steps"]]
    for entry in report["warnings"]:
        lines.append(f"\nwarning {entry['check']} on table {entry['table']}")
        lines += _describe_failures(entry)
    return "\n".join(lines)


def _metadata(event_data) -> dict:
    return {key: getattr(value, "value", value) for key, value in (event_data.metadata or {}).items()}


def _dbt_test_failure(name: str, status: str, severity: str, metadata: dict) -> dict:
    """A failed dbt test: dagster-dbt gives its status and failing row count, not the rows themselves."""
    return {
        "expectation": "dbt test",
        "column": None,
        "severity": severity,
        "unexpected_count": metadata.get("dagster_dbt/failed_row_count"),
        "sample_values": [],
        "sample_rows": [],
        "detail": f"status {status}; rerun `dbt test --select {name} --store-failures` to keep the failing rows",
    }


def _check_entry(evaluation) -> dict:
    metadata = _metadata(evaluation)
    asset = "/".join(evaluation.asset_key.path)
    details = metadata.get("failure_details")
    if details is None and not evaluation.passed:
        severity = str(getattr(evaluation.severity, "value", evaluation.severity)).lower()
        details = [_dbt_test_failure(evaluation.check_name, metadata.get("status", "fail"), severity, metadata)]
    return {
        "check": evaluation.check_name,
        "asset": asset,
        "table": metadata.get("table") and _qualified(metadata["table"], asset) or asset.replace("/", "."),
        "suite": metadata.get("suite"),
        "failures": sorted(details or [], key=lambda f: f.get("severity") != "critical"),
    }


def _failed_test_observation(observation) -> dict | None:
    metadata = _metadata(observation)
    unique_id = str(metadata.get("unique_id") or "")
    status = str(metadata.get("status") or "").lower()
    if not unique_id.startswith("test.") or status not in {"fail", "error"}:
        return None
    name = unique_id.split(".")[2] if unique_id.count(".") >= 2 else unique_id
    asset = "/".join(observation.asset_key.path)
    return {
        "check": name,
        "asset": asset,
        "table": asset.replace("/", "."),
        "suite": None,
        "failures": [_dbt_test_failure(name, status, "error", metadata)],
    }


def _qualified(table: str, asset: str) -> str:
    return table if "." in table else asset.replace("/", ".")


def _describe_failures(entry: dict) -> list[str]:
    lines = []
    for failure in entry["failures"]:
        where = f" on {failure['column']}" if failure.get("column") else ""
        count = f", {failure['unexpected_count']} rows" if failure.get("unexpected_count") else ""
        lines.append(f"  - [{failure.get('severity')}] {failure['expectation']}{where}{count}")
        if failure.get("detail"):
            lines.append(f"      {failure['detail']}")
        rows = failure.get("sample_rows") or []
        for row in rows[:MAX_ROWS_SHOWN]:
            lines.append(f"      row: {json.dumps(row, default=str)[:300]}")
        if not rows and failure.get("sample_values"):
            lines.append(f"      values: {json.dumps(failure['sample_values'], default=str)[:300]}")
    return lines


def _first_line(message: str) -> str:
    return next((line for line in message.splitlines() if line.strip()), "")[:500]
