"""The validation results page in a real browser, offline: styled, its links land, no PII shown.

Real Great Expectations results (quality.validate on a raw table holding names, e-mails and
phones) and a gate report are written the way a night writes them; headless Chromium opens the page
from file:// (the browser fixture of test_report_browser.py) and every request is watched.
"""

from __future__ import annotations

import json

import pandas as pd

from orchestration import quality
from orchestration.reports.validation_page import anchor, write_validation_page
from test_report_browser import browser  # noqa: F401 (the fixture)

SECRETS = ["Ada", "Lovelace", "ada.lovelace", "Grace", "Hopper", "7946", "555 0102", "900123"]


def _night_reports(reports_dir):
    """A failed raw suite on people's contact rows, a second suite, and the gate report naming the failure."""
    people = [
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
                           "_mapping": None} for i, row in enumerate(people)])
    failed = quality.validate("raw_crm_contacts", "crm_contacts", frame, reports_dir / "gx", "page-test")
    owners = pd.DataFrame([{"owner_id": "o1", "owner_name": "Team A", "email": "a@example.com", "team": "sales",
                            "_source_file": "crm/owners.csv", "_row_number": 1, "_file_checksum": "y",
                            "_loaded_at": pd.Timestamp("2026-01-03"), "_source_timezone": "UTC", "_load_id": "l",
                            "_mapping": None}])
    quality.validate("raw_crm_owners", "crm_owners", owners, reports_dir / "gx", "page-test")
    assert not failed.passed
    gate = {"run_id": "page-test", "written_at": "2026-12-02T03:00:00+00:00", "status": "failed", "checks_passed": 1,
            "failed_checks": [{"check": "gx_raw_suite", "asset": "raw/crm_contacts", "table": "raw.crm_contacts",
                               "suite": "raw_crm_contacts", "failures": [f.as_dict() for f in failed.failures]}],
            "warnings": [], "failed_steps": []}
    (reports_dir / "gate").mkdir(parents=True)
    (reports_dir / "gate" / "last.json").write_text(json.dumps(gate, default=str))


def test_the_validation_page_opens_offline_styled_with_working_links_and_no_pii(browser, tmp_path):  # noqa: F811
    reports = tmp_path / "reports"
    _night_reports(reports)
    page_path = write_validation_page(reports)
    html = page_path.read_text()
    for secret in SECRETS:
        assert secret not in html
    assert quality.MASK in html  # the masked sample rows are there, masked

    page = browser.new_page()
    errors, requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith(("file:", "data:")) else requests.append(request.url))
    try:
        page.goto(page_path.resolve().as_uri())
        assert errors == [] and requests == [], (errors, requests)
        # the styles are the page's own: a failed status is drawn red and bold
        color = page.locator(".failed").first.evaluate("el => getComputedStyle(el).color")
        assert color == "rgb(180, 35, 24)"
        # every link lands on a section of this page
        links = page.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
        suites = {"raw_crm_contacts", "raw_crm_owners"}
        assert {f"#{anchor(s)}" for s in suites} <= set(links)
        for href in set(links):
            assert href.startswith("#") and page.locator(href).count() == 1, href
        page.click(f"a[href='#{anchor('raw_crm_contacts')}']")
        assert page.evaluate("location.hash") == f"#{anchor('raw_crm_contacts')}"
        text = page.locator("body").inner_text()
        assert "FAILED" in text and "expect_column_values_to_not_be_null" in text
        for secret in SECRETS:
            assert secret not in text
        assert requests == []
    finally:
        page.close()
