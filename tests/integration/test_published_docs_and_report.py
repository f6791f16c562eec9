"""After a real night: the published file documents itself and the nightly report was written from it."""

from __future__ import annotations

import duckdb

from orchestration.publish import publish_manifest
from orchestration.reports.html_report import REPORT_FILE, report_dir


def test_the_published_file_carries_descriptions_and_publish_info(nightly):
    with duckdb.connect(str(nightly.settings.published_path), read_only=True) as bi:
        comments = dict(bi.execute("select table_name, comment from duckdb_tables()").fetchall())
        assert comments["mart_open_leads"].startswith("Leads waiting for a first meaningful response")
        assert all(comment for comment in comments.values()), comments
        documented = bi.execute(
            "select count(*) from duckdb_columns() where table_name = 'mart_coverage' and comment is not null"
        ).fetchone()[0]
        assert documented > 10
        info = bi.execute("select source, run_id, data_as_of from publish_info order by source").fetchall()
        runs = {entry["run_id"] for entry in publish_manifest(bi).values()}
    assert runs == {nightly.result.run_id} == {run_id for _, run_id, _ in info}
    sources = {source: as_of for source, _, as_of in info}
    assert sources["all"] is not None and sources["crm_contacts"] is not None


def test_the_nightly_report_is_written_after_publish_from_the_published_file(nightly):
    page = report_dir(nightly.settings.reports_dir) / REPORT_FILE
    assert page.exists()
    html = page.read_text(encoding="utf-8")
    assert nightly.result.run_id in html
    assert "<script src" not in html.lower()
