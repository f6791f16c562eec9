"""Reputation on the session's nightly run (scale 1): the public rating in force on each zmot day,
conversion by its band, and the survey -> review loop recover the generator's planted effects
(truth.json `reputation`); and a review export with no authors and no platform, mapped alone, still
gives month and rating figures with the rest NULL or absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

PROJECT_DIR = Path(__file__).resolve().parents[2]
EXPORTS = PROJECT_DIR / "tests" / "fixtures" / "exports"
FUNNEL_WINDOW = timedelta(days=90)  # dbt var funnel_conversion_window_days
NEGATIVE_MAX = 2  # dbt var negative_review_max_rating


def published(nightly):
    assert nightly.result.success, nightly.result.get_failed_step_keys()
    return duckdb.connect(str(nightly.settings.published_path), read_only=True)


def rows(bi, sql: str, params=None) -> list[dict]:
    cursor = bi.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def bands_by_label(nightly) -> dict:
    with published(nightly) as bi:
        got = {r["rating_band"]: r for r in rows(bi, "select * from mart_conversion_by_rating_band")}
    return got


def truth_bands(nightly) -> dict:
    return {b["rating_band"]: b for b in nightly.truth["reputation"]["bands"].values()}


# --- the rating band at zmot and conversion --------------------------------------------------------
def test_every_lead_is_counted_in_its_rating_band_as_the_truth_says(nightly):
    got, truth = bands_by_label(nightly), truth_bands(nightly)
    assert set(got) == set(truth), (set(got), set(truth))
    for band, t in truth.items():
        assert (got[band]["leads"], got[band]["fmot_leads"]) == (t["leads"], t["fmot"]["reached"]), band
    # the marts' funnel window ends at their as-of time (the latest moment), the truth's at the end
    # of the generated window: leads whose zmot falls between the two cut-offs explain any difference
    with published(nightly) as bi:
        as_of = bi.execute("select max(reached_at) from fct_prospect_moments").fetchone()[0]
        between = dict(bi.execute("""
            select rating_band_at_zmot, count(*) from fct_prospect_journey
            where zmot_at + interval 90 day > ? and zmot_at + interval 90 day <= cast(? as timestamp)
            group by 1""", [as_of, nightly.truth["as_of"].replace("T", " ").rstrip("Z")]).fetchall())
    for band, t in truth.items():
        assert got[band]["leads_with_full_window"] == t["purchase_within_window"]["leads"] - between.get(band, 0), band
        assert got[band]["purchases_within_window"] <= t["purchase_within_window"]["reached"], band


@pytest.mark.parametrize("outcome, column", [("fmot", "fmot_rate"), ("purchase_within_window", "purchase_rate_within_window")])
def test_the_planted_rating_band_effect_is_recovered_within_its_interval(nightly, outcome, column):
    got, truth = bands_by_label(nightly), truth_bands(nightly)
    rated = sorted((b for b in truth if b is not None))
    assert len(rated) == 3, rated
    for band in rated:
        t, g = truth[band][outcome], got[band]
        lower, upper = t["ci95"]
        # the rate published lies in the sampling interval of what the planted probabilities give ...
        assert lower <= g[column] <= upper, (band, g[column], t["ci95"])
        # ... and the planted expectation lies in the published Wilson interval
        assert g[f"{column}_lower"] <= t["expected_rate"] <= g[f"{column}_upper"], (band, t["expected_rate"])
    # the effect is there: the planted rates rise with the band, and the lowest band's interval
    # lies entirely below the top band's
    expected = [truth[b][outcome]["expected_rate"] for b in rated]
    assert expected == sorted(expected) and expected[0] < expected[-1]
    assert got[rated[0]][f"{column}_upper"] < got[rated[-1]][f"{column}_lower"]


def test_the_no_rating_row_is_apart_and_bands_come_from_the_seed(nightly):
    got = bands_by_label(nightly)
    no_rating = got[None]
    assert no_rating["has_public_rating"] is False and no_rating["average_rating_seen"] is None
    with published(nightly) as bi:
        first_review_day = bi.execute(
            "select min(review_month) from mart_reputation where is_all_platforms").fetchone()[0]
        before = bi.execute("""
            select count(*), count(*) filter (where public_reviews_at_zmot = 0), count(public_rating_at_zmot)
            from fct_prospect_journey where rating_band_at_zmot is null and zmot_at is not null""").fetchone()
        bounds = rows(bi, """
            select rating_band_at_zmot as rating_band, min(public_rating_at_zmot) as lo, max(public_rating_at_zmot) as hi
            from fct_prospect_journey where rating_band_at_zmot is not null group by 1""")
    assert first_review_day is not None
    # leads without a rating inquired before any review: all of them, and they saw no review
    assert before == (no_rating["leads"], no_rating["leads"], 0)
    for b in bounds:
        g = got[b["rating_band"]]
        assert g["lower_bound_rating"] is None or b["lo"] >= g["lower_bound_rating"]
        assert g["upper_bound_rating"] is None or b["hi"] < g["upper_bound_rating"]


# --- the loop: survey -> review, reviews -> inquiries ------------------------------------------------
def test_detractors_negative_reviews_and_promoters_reviews_are_recovered(nightly):
    truth = nightly.truth["reputation"]["review_loop"]
    with published(nightly) as bi:
        got = {r["nps_category"]: r for r in rows(bi, "select * from mart_review_loop")}
    for category in ("promoter", "passive", "detractor"):
        t, g = truth[category], got[category]
        assert (g["customers"], g["reviewers"], g["negative_reviewers"]) == (t["respondents"], t["published"], t["negative"])
        assert g["review_rate_lower"] <= t["planted_publish_rate"] <= g["review_rate_upper"], category
    detractors = got["detractor"]
    planted = truth["detractor"]["planted_negative_rate"]
    assert detractors["negative_review_rate_lower"] <= planted <= detractors["negative_review_rate_upper"]
    assert detractors["negative_review_rate_lower"] > got["promoter"]["negative_review_rate_upper"]
    assert detractors["average_review_rating"] <= NEGATIVE_MAX < got["promoter"]["average_review_rating"]
    # customers who never answered the survey are their own row, never merged into a category
    assert got[None]["has_nps_response"] is False


def test_reputation_by_month_matches_the_truth(nightly):
    truth = nightly.truth["reputation"]
    with published(nightly) as bi:
        months = rows(bi, "select * from mart_reputation order by review_month")
        as_of = bi.execute("select max(reached_at) from fct_prospect_moments").fetchone()[0]
        zmots = [z for (z,) in bi.execute("select zmot_at from fct_prospect_journey where zmot_at is not null").fetchall()]
    overall = {m["review_month"].strftime("%Y-%m"): m for m in months if m["is_all_platforms"]}
    assert set(overall) == set(truth["by_month"])
    for month, t in truth["by_month"].items():
        g = overall[month]
        assert (g["reviews"], g["negative_reviews"], g["customer_reviews"], g["unknown_author_reviews"]) == (
            t["reviews"], t["negative_reviews"], t["by_customers"], t["unknown_authors"]), month
        assert g["other_prospect_reviews"] == 0, month
        assert g["average_rating"] == pytest.approx(t["average_rating"], abs=1e-6)
        assert g["running_rating_at_month_end"] == pytest.approx(t["running_rating_at_month_end"], abs=1e-6)
        assert sum(g[f"rating_{s}_reviews"] for s in range(1, 6)) == g["reviews"]
        assert g["negative_review_share"] == pytest.approx(g["negative_reviews"] / g["reviews"])
        # zmots in the 4 weeks after the month, counted here from the journey; NULL until they passed
        start = (g["review_month"].replace(day=28) + timedelta(days=4)).replace(day=1)
        end = start + timedelta(weeks=4)
        if datetime.combine(end, time()) <= as_of:
            expected = sum(1 for z in zmots if start <= z.date() < end)
            assert g["zmots_in_following_weeks"] == expected and g["has_full_inquiry_window"], month
        else:
            assert g["zmots_in_following_weeks"] is None and g["has_full_inquiry_window"] is False, month
    # every generated review names its platform: the platform rows add up to the month
    by_month = defaultdict(int)
    for m in months:
        if not m["is_all_platforms"]:
            assert m["platform"] is not None and m["zmots_in_following_weeks"] is None
            by_month[m["review_month"].strftime("%Y-%m")] += m["reviews"]
    assert by_month == {k: v["reviews"] for k, v in overall.items()}
    assert truth["reviews"]["total"] == sum(v["reviews"] for v in overall.values())


# --- a review export with no authors and no platform ----------------------------------------------
@pytest.fixture(scope="module")
def anonymous_reviews(tmp_path_factory) -> Path:
    """`mot run` on tests/fixtures/exports/reviews_no_authors alone, with its own mapping file."""
    root = tmp_path_factory.mktemp("reviews_no_authors")
    landing = root / "landing"
    shutil.copytree(EXPORTS / "reviews_no_authors", landing / "reviews_no_authors")
    env = dict(os.environ)
    env.update(
        MOT_SOURCES_CONFIG=str(EXPORTS / "reviews_no_authors" / "mapping.yml"),
        MOT_LANDING_DIR=str(landing),
        MOT_WAREHOUSE_PATH=str(root / "warehouse" / "warehouse.duckdb"),
        MOT_PUBLISH_DIR=str(root / "published"),
        MOT_REPORTS_DIR=str(root / "reports"),
        DAGSTER_HOME=str(root / "dagster_home"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        GX_ANALYTICS_ENABLED="false",
    )
    (root / "dagster_home").mkdir()
    result = subprocess.run([str(Path(sys.executable).parent / "mot"), "run"], cwd=PROJECT_DIR, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"mot run failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    marts = root / "published" / "marts.duckdb"
    assert marts.is_file()
    return marts


def expected_months() -> dict[str, dict]:
    """Month figures written out from the fixture CSV (read as text), independent of the pipeline."""
    with duckdb.connect() as conn:
        reviews = conn.execute(f"""
            select "Date", "Stars" from read_csv('{EXPORTS / 'reviews_no_authors' / 'reviews.csv'}',
                                                 header = true, all_varchar = true)""").fetchall()
    months: dict[str, list[int]] = defaultdict(list)
    for day, stars in reviews:
        months[day[:7]].append(int(stars))
    out, seen = {}, []
    for month in sorted(months):
        stars = months[month]
        seen += stars
        out[month] = {"reviews": len(stars), "average_rating": sum(stars) / len(stars),
                      "negative_reviews": sum(1 for s in stars if s <= NEGATIVE_MAX),
                      "distribution": [stars.count(s) for s in range(1, 6)],
                      "running": sum(seen) / len(seen)}
    return out


def test_reviews_without_authors_or_platform_still_give_month_and_rating_figures(anonymous_reviews):
    with duckdb.connect(str(anonymous_reviews), read_only=True) as bi:
        months = rows(bi, "select * from mart_reputation order by review_month")
        bands = bi.execute("select count(*) from mart_conversion_by_rating_band").fetchone()[0]
        loop = bi.execute("select count(*) from mart_review_loop").fetchone()[0]
    expected = expected_months()
    assert [m["review_month"].strftime("%Y-%m") for m in months] == sorted(expected)
    for m in months:
        e = expected[m["review_month"].strftime("%Y-%m")]
        # no platform column: only the all-platforms rows, never a NULL "platform" posing as one
        assert m["is_all_platforms"] and m["platform"] is None
        assert (m["reviews"], m["negative_reviews"]) == (e["reviews"], e["negative_reviews"])
        assert [m[f"rating_{s}_reviews"] for s in range(1, 6)] == e["distribution"]
        assert m["average_rating"] == pytest.approx(e["average_rating"], rel=1e-12)
        assert m["running_rating_at_month_end"] == pytest.approx(e["running"], rel=1e-12)
        # nobody can be linked and there are no inquiries: unknown, not 0
        assert (m["customer_reviews"], m["other_prospect_reviews"], m["unknown_author_reviews"]) == (None, None, None)
        assert m["zmots_in_following_weeks"] is None
    # no leads: no conversion by band and no loop rows, rather than rows of zeros
    assert (bands, loop) == (0, 0)
