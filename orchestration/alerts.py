"""Alerts on failed runs: what went wrong, where to look, written to a log and optionally a webhook.

Every alert is one JSON line appended to <reports>/alerts/alerts.ndjson and logged at ERROR; when
MOT_ALERT_WEBHOOK_URL is set, the same JSON is POSTed there (Slack/Teams-style incoming webhooks
accept it; a `text` field carries the one-line summary). A webhook that is down never hides the
alert: the file and the log are written first.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ALERTS_FILE = Path("alerts") / "alerts.ndjson"
WEBHOOK_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class FailedStep:
    step_key: str
    error: str


def build_alert_payload(
    run_id: str, job_name: str, failed_steps: list[FailedStep], run_error: str | None, ui_url: str,
    failed_at: datetime | None = None,
) -> dict:
    """The alert as JSON: enough to triage without opening the UI, and the link to open it."""
    steps = [{"step": s.step_key, "error": _first_line(s.error)} for s in failed_steps]
    where = ", ".join(s["step"] for s in steps) or "the run itself"
    cause = steps[0]["error"] if steps else _first_line(run_error or "no error message")
    run_url = f"{ui_url.rstrip('/')}/runs/{run_id}"
    return {
        "text": f"Dagster run of `{job_name}` failed at {where}: {cause} ({run_url})",
        "job": job_name,
        "run_id": run_id,
        "failed_at": (failed_at or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "failed_steps": steps,
        "run_error": run_error,
        "run_url": run_url,
    }


def send_alert(payload: dict, reports_dir: Path, webhook_url: str | None, log: logging.Logger) -> Path:
    """Append the alert to the alerts file, log it, then POST it to the webhook if one is set."""
    path = Path(reports_dir) / ALERTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(payload, sort_keys=True) + "\n")
    log.error(f"ALERT {payload['text']} (written to {path})")
    if webhook_url:
        request = urllib.request.Request(
            webhook_url, data=json.dumps(payload).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
                log.info(f"alert posted to the webhook: HTTP {response.status}")
        except OSError as exc:  # URLError, HTTPError, timeouts: the file and the log already hold it
            log.warning(f"alert webhook {webhook_url} failed: {exc}")
    return path


def _first_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0][:500] if lines else ""
