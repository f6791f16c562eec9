"""The nightly report: one self-contained HTML page drawn from the published marts only.

Written after every publish to <reports_dir>/report/index.html and by `mot report --html`. The page
needs no network when viewed: Vega, Vega-Lite and vega-embed come inlined from vl-convert's bundle
(the same one Altair's `save(..., inline=True)` uses), the styles are in the page, and each chart's
data is embedded in its spec. It reads the published file, not the warehouse, so it shows exactly
what BI shows; the connection is read-only and closed before the page is written, so the next
publish's rename is never held up and this process never keeps the old file open.
"""

from __future__ import annotations

import functools
import html
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import altair as alt
import duckdb

from .report_data import Absent, PublishedMarts
from .sections import Note, Section, Table, build_sections

REPORT_DIR = "report"
REPORT_FILE = "index.html"
# A cell a spreadsheet would read as a formula when copied from the page (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def report_dir(reports_dir: Path) -> Path:
    """Where the nightly report lives under the reports folder (Settings.reports_dir)."""
    return Path(reports_dir) / REPORT_DIR


def write_report(published_path: Path, out_dir: Path) -> Path:
    """Write out_dir/index.html from the published file; return its path."""
    published_path = Path(published_path)
    if not published_path.exists():
        raise FileNotFoundError(f"no published file at {published_path}: run `mot run` first")
    with duckdb.connect(str(published_path), read_only=True) as conn:
        marts = PublishedMarts(conn)
        record = marts.run_record()
        sections = build_sections(marts)
    page = render_page(sections, record, published_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / REPORT_FILE
    # Replace, never rewrite in place: someone may have the page open or be copying it.
    scratch = target.with_name(f".{REPORT_FILE}.{os.getpid()}.tmp")
    scratch.write_text(page, encoding="utf-8")
    os.replace(scratch, target)
    return target


def render_page(sections: list[Section], record: dict, published_path: Path) -> str:
    specs: dict[str, dict] = {}
    body = []
    for section in sections:
        parts = [f"<h2>{_text(section.title)}</h2>", f'<p class="question">{_text(section.question)}</p>']
        for block in section.blocks:
            if isinstance(block, Absent):
                parts.append(f'<p class="no-data">{_text(block.reason)}</p>')
            elif isinstance(block, Note):
                parts.append(f'<p class="note">{_text(block.text)}</p>')
            elif isinstance(block, Table):
                parts.append(_table(block))
            else:
                chart_id = f"chart-{len(specs) + 1}"
                specs[chart_id] = block
                parts.append(f'<div class="chart" id="{chart_id}"></div>')
        wide = " wide" if any(isinstance(b, Table) for b in section.blocks) else ""
        body.append(f'<section class="card{wide}">{"".join(parts)}</section>')
    return _PAGE.format(
        title=_text("Moments of truth: nightly report"),
        as_of=_text(_when(record.get("data_as_of")) or "unknown"),
        run_id=_text(record.get("run_id") or "unknown"),
        published_at=_text(_when(record.get("published_at")) or "unknown"),
        source=_text(published_path.name),
        written_at=_text(datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        vega_lite=_text(alt.SCHEMA_VERSION),
        sections="\n".join(body),
        bundle=_vega_bundle(),
        specs=_script_json(specs),
    )


def neutralise(cell: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def _table(table: Table) -> str:
    head = "".join(f"<th>{_text(h)}</th>" for h in table.headers)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_text(neutralise('' if v is None else str(v)))}</td>" for v in row) + "</tr>"
        for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


@functools.cache  # bundling takes seconds; a long-lived process (the Dagster daemon) does it once
def _vega_bundle() -> str:
    import vl_convert

    # Vega-Lite minor version matching the specs Altair writes (e.g. v6.4.1 -> 6.4).
    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    bundle = vl_convert.javascript_bundle(vl_version=version)
    if "</script" in bundle.lower():  # would end the inline <script> early; not the case in 1.9
        raise RuntimeError("the Vega bundle cannot be inlined: it contains '</script'")
    return bundle


def _script_json(value) -> str:
    # Data values (team names, labels) must not be able to close the <script> element.
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029")


def _when(value) -> str | None:
    if not value:
        return None
    return f"{str(value)[:16]} UTC" if len(str(value)) > 10 else str(value)


def _text(value) -> str:
    return html.escape(str(value), quote=True)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f5f6f8; color: #222; }}
  header {{ background: #1f2a44; color: #fff; padding: 16px 28px; }}
  header h1 {{ margin: 0 0 6px; font-size: 22px; }}
  header .facts {{ font-size: 14px; opacity: .9; }}
  header .facts b {{ font-weight: 600; }}
  main {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 16px; padding: 16px 28px; }}
  .card {{ background: #fff; border-radius: 6px; padding: 12px 18px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); min-width: 0; }}
  .card.wide {{ grid-column: 1 / -1; }}
  h2 {{ margin: 4px 0 2px; font-size: 18px; }}
  .question {{ margin: 0 0 10px; color: #555; font-size: 14px; }}
  .note {{ margin: 4px 0; font-size: 14px; }}
  .no-data {{ margin: 8px 0; padding: 10px 12px; background: #fff7e6; border-left: 4px solid #f0a500; font-size: 14px; }}
  .chart {{ margin-top: 8px; overflow-x: auto; }}
  table {{ border-collapse: collapse; font-size: 13px; width: 100%; }}
  th, td {{ text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e3e3; vertical-align: top; }}
  th {{ background: #f0f2f5; }}
  footer {{ padding: 0 28px 20px; font-size: 12px; color: #666; }}
</style>
<script>
// Vega, Vega-Lite and vega-embed, inlined so the page needs no network.
{bundle}
</script>
</head>
<body>
<header>
  <h1>{title}</h1>
  <div class="facts">Data as of <b>{as_of}</b> · run <b>{run_id}</b> · published <b>{published_at}</b></div>
</header>
<main>
{sections}
</main>
<footer>Drawn from {source} (the published marts) at {written_at}; charts by Vega-Lite {vega_lite}.</footer>
<script>
const specs = {specs};
for (const [id, spec] of Object.entries(specs)) {{
  const el = document.getElementById(id);
  vegaEmbed(el, spec, {{actions: false, renderer: "svg"}})
    .then(() => el.setAttribute("data-rendered", "true"))
    .catch((error) => {{ el.textContent = "This chart could not be drawn: " + error; console.error(error); }});
}}
</script>
</body>
</html>
"""
