"""The nightly report in a real browser: headless Chromium opens it from file:// and draws every chart.

Debian's chromium (installed by .ci/run where missing), driven by Playwright; Playwright's own
browser download is not used. The report is written from a small published file made with plain
SQL (tests/report_fixtures.py), so no pipeline run is needed. A screenshot is kept under reports/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from orchestration.reports.html_report import write_report
from orchestration.settings import Settings
from report_fixtures import CHARTS_IN_FULL_FILE, make_published_file

CHROMIUM = Path(os.environ.get("MOT_CHROMIUM", "/usr/bin/chromium"))
# The flags that make Debian's chromium start headless as root in a container, offline and quiet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
RENDER_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path_factory.mktemp("chromium-profile")),  # empty: no state from elsewhere
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def open_report(browser, page_path: Path):
    """Load the page; return (page, console errors, requests that left file://)."""
    page = browser.new_page()
    errors, requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith(("file:", "data:")) else requests.append(request.url))
    page.goto(page_path.resolve().as_uri())
    # vega-embed marks each container once its view has rendered (or writes an error into it)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.chart')].every(
               el => el.hasAttribute('data-rendered') || el.textContent.includes('could not be drawn'))""",
        timeout=RENDER_TIMEOUT_MS,
    )
    return page, errors, requests


def rendered_charts(page) -> int:
    return page.locator(".chart[data-rendered] svg.marks").count()


def test_every_chart_renders_offline_without_console_errors(browser, tmp_path):
    page_path = write_report(make_published_file(tmp_path / "marts.duckdb"), tmp_path / "report")
    page, errors, requests = open_report(browser, page_path)
    try:
        assert errors == []
        assert requests == [], "the report must need no network"
        assert page.locator(".chart").count() == CHARTS_IN_FULL_FILE
        assert rendered_charts(page) == CHARTS_IN_FULL_FILE
        # each chart drew marks, not an empty frame
        assert page.locator(".chart svg.marks path, .chart svg.marks rect, .chart svg.marks line").count() > 50
        assert "run-fixture-1" in page.locator("header").inner_text()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    finally:
        page.close()
    kept = Settings.from_env().reports_dir / "browser-test" / "report.png"
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / "report.png", kept)
    assert kept.stat().st_size > 50_000


def test_absent_data_is_a_sentence_in_the_browser_not_a_chart(browser, tmp_path):
    published = make_published_file(tmp_path / "marts.duckdb", drop=("mart_funnel_stages",), unsupported=("fmot",))
    page, errors, _ = open_report(browser, write_report(published, tmp_path / "report"))
    try:
        assert errors == []
        # without fmot: no speed-to-lead rates or lift, no crude-against-adjusted ratios, no
        # opportunity, no engagement quality, no open leads, no zmot -> fmot curve; without the
        # funnel table: no funnel (arrivals against answers within the hour need no fmot)
        assert rendered_charts(page) == CHARTS_IN_FULL_FILE - 7
        sentences = page.locator(".no-data").all_inner_texts()
        assert any("mart_funnel_stages" in s for s in sentences)
        assert sum("cannot support fmot" in s for s in sentences) == 6
    finally:
        page.close()
