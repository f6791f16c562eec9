"""The nightly report: one self-contained page from the published file, honest about what is absent."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from orchestration.reports.html_report import neutralise, write_report
from orchestration.reports.report_data import Absent, PublishedMarts
from orchestration.reports.sections import Note, build_sections
from report_fixtures import CHARTS_IN_FULL_FILE, FORMULA_REASON, HOSTILE_TEAM, make_published_file


def sections_of(path):
    with duckdb.connect(str(path), read_only=True) as conn:
        return {s.title: s for s in build_sections(PublishedMarts(conn))}


def charts(section):
    return [b for b in section.blocks if isinstance(b, dict)]


def absences(section):
    return [b.reason for b in section.blocks if isinstance(b, Absent)]


def embedded_specs(page: str) -> dict:
    return json.loads(re.search(r"const specs = (\{.*?\});\n", page, re.S).group(1))


def test_the_page_is_self_contained_and_draws_every_chart(tmp_path):
    page_path = write_report(make_published_file(tmp_path / "marts.duckdb"), tmp_path / "report")
    assert page_path == tmp_path / "report" / "index.html"
    page = page_path.read_text(encoding="utf-8")
    assert len(embedded_specs(page)) == CHARTS_IN_FULL_FILE
    # No script or stylesheet comes from elsewhere (the browser test also watches every request).
    assert not re.search(r"<script[^>]*\bsrc\s*=|<link[^>]*\bhref\s*=", page, re.I)
    assert "vegaEmbed" in page and page.count("<script") == 2
    assert "run-fixture-1" in page and "2026-06-30 23:00 UTC" in page
    assert 'class="no-data"' not in page


def test_headline_figures_are_the_published_rows(tmp_path):
    published = make_published_file(tmp_path / "marts.duckdb")
    specs = embedded_specs(write_report(published, tmp_path / "report").read_text(encoding="utf-8"))
    drawn = specs["chart-1"]["data"]["values"]
    with duckdb.connect(str(published), read_only=True) as bi:
        table = [(b, float(r), float(lo)) for b, r, lo in bi.execute(
            "select response_time_bucket, fmot_rate, fmot_rate_ci95_lower from mart_speed_to_lead").fetchall()]
    assert sorted((r["response_time_bucket"], r["fmot_rate"], r["fmot_rate_ci95_lower"]) for r in drawn) == sorted(table)


def test_values_are_escaped_in_charts_and_neutralised_in_tables(tmp_path):
    page = write_report(make_published_file(tmp_path / "marts.duckdb"), tmp_path / "report").read_text(encoding="utf-8")
    assert HOSTILE_TEAM not in page  # a team name cannot close the script element
    assert HOSTILE_TEAM in json.dumps(embedded_specs(page), ensure_ascii=False)  # yet it is drawn as text
    assert "&#x27;=HYPERLINK(" in page and "&#x27;-no reviews export" in page
    assert ">=HYPERLINK" not in page and FORMULA_REASON not in page
    assert [neutralise(v) for v in ["=1", "+1", "-1", "@a", "ok", "1-2h"]] == ["'=1", "'+1", "'-1", "'@a", "ok", "1-2h"]


@pytest.mark.parametrize("table, section", [
    ("mart_speed_to_lead_summary", "Speed to lead"),
    ("mart_funnel_stages", "Funnel"),
    ("mart_team_efficiency_monthly", "Team efficiency"),
    ("mart_open_leads", "Open leads"),
])
def test_a_missing_table_says_so_instead_of_drawing(tmp_path, table, section):
    found = sections_of(make_published_file(tmp_path / "marts.duckdb", drop=(table,)))
    assert any(table in reason for reason in absences(found[section]))
    assert sum(len(charts(s)) for s in found.values()) == CHARTS_IN_FULL_FILE - 1


def test_empty_tables_and_unsupported_steps_draw_no_zeros(tmp_path):
    published = make_published_file(tmp_path / "marts.duckdb", unsupported=("fmot",))
    with duckdb.connect(str(published)) as conn:
        conn.execute("delete from mart_survey_scores_monthly")
    found = sections_of(published)
    for title in ("Speed to lead", "Quality of the first engagement", "Open leads"):
        assert charts(found[title]) == [], title
        assert any("cannot support fmot" in r for r in absences(found[title])), title
    [curve] = charts(found["Time to the next moment"])
    assert {v["pair"] for v in curve["data"]["values"]} == {"zmot → first_response", "zmot → purchase"}
    notes = [b.text for b in found["Time to the next moment"].blocks if isinstance(b, Note)]
    assert notes == ["No zmot → fmot curve: The data cannot support fmot: no activities in this export"]
    assert any("mart_survey_scores_monthly has no rows" in r for r in absences(found["Experience and advocacy"]))


def test_a_table_of_another_shape_is_not_drawn(tmp_path):
    published = make_published_file(tmp_path / "marts.duckdb")
    with duckdb.connect(str(published)) as conn:  # the long shape: every lead counted once per breakdown
        conn.execute("insert into mart_speed_to_lead select * from mart_speed_to_lead")
    found = sections_of(published)
    assert len(charts(found["Speed to lead"])) == 1  # the lift still draws from its own table
    assert any("more than one row per response_time_bucket" in r for r in absences(found["Speed to lead"]))


def test_a_file_without_publish_info_takes_the_as_of_from_the_marts(tmp_path):
    published = make_published_file(tmp_path / "marts.duckdb", drop=("publish_info",))
    page = write_report(published, tmp_path / "out").read_text(encoding="utf-8")
    assert "2026-06-30 23:00 UTC" in page and "run <b>unknown</b>" in page


def test_the_report_never_holds_the_published_file_open(tmp_path):
    published = make_published_file(tmp_path / "marts.duckdb")
    write_report(published, tmp_path / "report")
    with duckdb.connect(str(published)) as writer:  # a writer would be locked out by an open reader
        writer.execute("select 1")


def test_mot_report_html_writes_the_report_and_prints_its_path(tmp_path):
    from click.testing import CliRunner

    from orchestration.cli import main

    make_published_file(tmp_path / "published" / "marts.duckdb")
    env = {"MOT_PUBLISH_DIR": str(tmp_path / "published"), "MOT_REPORTS_DIR": str(tmp_path / "reports")}
    result = CliRunner(env=env).invoke(main, ["report", "--html", "--no-open"])
    assert result.exit_code == 0, result.output
    page = tmp_path / "reports" / "report" / "index.html"
    assert result.output.strip() == f"report: {page}"
    assert "run-fixture-1" in page.read_text(encoding="utf-8")


def test_mot_report_html_without_a_published_file_says_what_to_do(tmp_path):
    from click.testing import CliRunner

    from orchestration.cli import main

    env = {"MOT_PUBLISH_DIR": str(tmp_path / "none"), "MOT_REPORTS_DIR": str(tmp_path / "reports")}
    result = CliRunner(env=env).invoke(main, ["report", "--html", "--no-open"])
    assert result.exit_code != 0 and "run `mot run` first" in result.output


def test_what_speed_is_worth_sets_crude_against_adjusted_and_prices_the_slow_answers(tmp_path):
    section = sections_of(make_published_file(tmp_path / "marts.duckdb"))["What speed is worth"]
    assert len(charts(section)) == 3
    notes = [b.text for b in section.blocks if isinstance(b, Note)]
    assert notes[0] == ("within 1h vs 3 1-2h: 9.4× as often as it stands, 7.0× within the same lead source and "
                        "arrival time (95 % interval 5.5–8.9).")
    assert notes[-1] == ("Answering the 229 leads answered after an hour within it would have added about 77 first "
                         "meaningful engagements, 14 won deals and 472,500 in revenue (at each lead's stratum rate for "
                         "answers within the hour).")
    crude_against_adjusted = charts(section)[0]
    drawn = {(v["comparison"], v["measure"]): v["ratio"] for v in crude_against_adjusted["data"]["values"]}
    assert drawn[("within 1h vs 5 >24h", "same lead mix (adjusted)")] == 60.2
    assert drawn[("within 1h vs 5 >24h", "as it stands (crude)")] == 78.0
