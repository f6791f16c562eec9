"""The night's validation results as one HTML page that opens offline: no script, no CDN, no link
that leaves the page.

GX's own Data Docs fetch their styles, scripts and validation list from CDNs and link to suite pages
that are not there offline; this page reads what the night stored instead: the latest result of
every Great Expectations suite (<reports>/gx/<suite>.json) and the gate report
(<reports>/gate/last.json: failed checks, dbt tests among them, with sample rows). Both are written
with their PII columns already masked (orchestration/quality.py); the page adds no data of its own.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

PAGE_DIR = "validation"
PAGE_FILE = "index.html"
MAX_SAMPLE_VALUES = 10

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #1f2933; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2.5rem; border-bottom: 1px solid #d9e2ec; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #f5f7fa; } code { font-size: 12px; word-break: break-all; }
.passed { color: #1b7f3b; font-weight: 600; } .failed { color: #b42318; font-weight: 600; }
.muted { color: #7b8794; } a { color: #2457a6; }
"""


def page_path(reports_dir: Path) -> Path:
    return Path(reports_dir) / PAGE_DIR / PAGE_FILE


def write_validation_page(reports_dir: Path) -> Path:
    """Write the page from what `reports_dir` holds now; return its path."""
    reports_dir = Path(reports_dir)
    results = []
    for path in sorted((reports_dir / "gx").glob("*.json")):
        try:
            results.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a result being rewritten by a night in progress: the next page shows it
    gate_file = reports_dir / "gate" / "last.json"
    gate = json.loads(gate_file.read_text()) if gate_file.exists() else None
    out = page_path(reports_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(results, gate), encoding="utf-8")
    return out


def render(results: list[dict], gate: dict | None) -> str:
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             "<title>Validation results</title>", f"<style>{STYLE}</style></head><body>",
             "<h1 id='top'>Validation results</h1>", _gate_section(gate), _index(results)]
    parts += [_suite_section(result) for result in results]
    parts.append("</body></html>")
    return "\n".join(parts)


def anchor(suite: str) -> str:
    return "suite-" + "".join(c if c.isalnum() else "-" for c in suite)


def _status(passed: bool) -> str:
    return "<span class='passed'>passed</span>" if passed else "<span class='failed'>FAILED</span>"


def _gate_section(gate: dict | None) -> str:
    if gate is None:
        return "<p class='muted'>No gate report yet: a night writes one.</p>"
    lines = [f"<p>Last night: run <code>{escape(str(gate.get('run_id')))}</code>, "
             f"written {escape(str(gate.get('written_at')))}: {_status(gate.get('status') == 'passed')}, "
             f"{int(gate.get('checks_passed') or 0)} checks passed, {len(gate.get('failed_checks') or [])} failed.</p>"]
    for check in gate.get("failed_checks") or []:
        lines.append(f"<h3>{escape(str(check.get('check')))} on {escape(str(check.get('table') or check.get('asset')))}</h3>")
        for failure in check.get("failures") or []:
            lines.append(f"<p>{escape(_describe(failure))}</p>")
            lines.append(_rows_table(failure.get("rows") or []))
    for step in gate.get("failed_steps") or []:
        lines.append(f"<p class='failed'>step {escape(str(step.get('step')))}: {escape(str(step.get('error')))}</p>")
    return "\n".join(lines)


def _describe(failure: dict) -> str:
    what = failure.get("expectation") or failure.get("test") or "check"
    column = f" on {failure['column']}" if failure.get("column") else ""
    count = f": {failure['unexpected_count']} unexpected" if failure.get("unexpected_count") is not None else ""
    detail = f" ({failure['detail']})" if failure.get("detail") else ""
    return f"{failure.get('severity', 'error')}: {what}{column}{count}{detail}"


def _rows_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(row.get(c, '')))}</td>" for c in columns) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _index(results: list[dict]) -> str:
    if not results:
        return "<p class='muted'>No suite has run yet.</p>"
    rows = []
    for result in results:
        stats = result.get("statistics") or {}
        suite = str(result.get("suite_name"))
        rows.append(f"<tr><td><a href='#{anchor(suite)}'>{escape(suite)}</a></td><td>{escape(_table_of(result))}</td>"
                    f"<td>{_status(bool(result.get('success')))}</td>"
                    f"<td>{stats.get('evaluated_expectations', '')}</td><td>{stats.get('unsuccessful_expectations', '')}</td></tr>")
    return ("<h2>Suites</h2><table><tr><th>suite</th><th>table</th><th>status</th><th>expectations</th>"
            "<th>failed</th></tr>" + "".join(rows) + "</table>")


def _table_of(result: dict) -> str:
    batch = (result.get("meta") or {}).get("active_batch_definition") or {}
    return str(batch.get("data_asset_name") or "")


def _suite_section(result: dict) -> str:
    suite = str(result.get("suite_name"))
    run_time = ((result.get("meta") or {}).get("batch_markers") or {}).get("ge_load_time", "")
    rows = []
    for item in result.get("results") or []:
        config = item.get("expectation_config") or {}
        kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
        outcome = item.get("result") or {}
        seen = []
        if "observed_value" in outcome:
            seen.append(f"observed {outcome['observed_value']}")
        if outcome.get("unexpected_count"):
            seen.append(f"{outcome['unexpected_count']} unexpected")
        sample = (outcome.get("partial_unexpected_list") or [])[:MAX_SAMPLE_VALUES]
        if sample:
            seen.append("e.g. " + ", ".join(str(v) for v in sample))
        error = (item.get("exception_info") or {}).get("exception_message")
        if error:
            seen.append(f"could not evaluate: {error}")
        rows.append(f"<tr><td>{_status(bool(item.get('success')))}</td><td>{escape(str(config.get('type')))}</td>"
                    f"<td><code>{escape(json.dumps(kwargs, default=str))}</code></td>"
                    f"<td>{escape(str(config.get('severity') or ''))}</td><td>{escape('; '.join(seen))}</td></tr>")
    return (f"<h2 id='{anchor(suite)}'>{escape(suite)} {_status(bool(result.get('success')))}</h2>"
            f"<p class='muted'>table {escape(_table_of(result))}, validated {escape(str(run_time))} "
            f"(<a href='#top'>top</a>)</p>"
            "<table><tr><th>status</th><th>expectation</th><th>parameters</th><th>severity</th><th>result</th></tr>"
            + "".join(rows) + "</table>")
