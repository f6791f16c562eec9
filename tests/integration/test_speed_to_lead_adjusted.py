"""What speed is worth, on the session's nightly run (scale 1): the generator plants confounding
(fast answers go to high-intent sources and business-hours arrivals, which convert better anyway)
and a known effect of speed inside every stratum. The published marts must recover the planted
Mantel–Haenszel ratio and the crude one, each within its truth interval, show that they differ,
and recover the fmots that answering every slow lead within the hour would have added."""

from __future__ import annotations

import math
from collections import defaultdict

import duckdb
import pytest

pytestmark = pytest.mark.slow

SLOW_BUCKETS = ("3 1-2h", "4 2-24h", "5 >24h")


@pytest.fixture(scope="module")
def bi(nightly):
    assert nightly.result.success, nightly.result.get_failed_step_keys()
    with duckdb.connect(str(nightly.settings.published_path), read_only=True) as conn:
        yield conn


def rows(bi, sql: str) -> list[dict]:
    cursor = bi.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def adjusted(bi) -> dict:
    return {(r["breakdown_value"], r["slow_bucket"]): r for r in rows(bi, "select * from marts.mart_speed_to_lead_adjusted")}


@pytest.mark.parametrize("slow_bucket", SLOW_BUCKETS)
def test_the_adjusted_ratio_recovers_the_planted_effect_and_the_crude_one_its_own(nightly, adjusted, slow_bucket):
    truth = nightly.truth["speed_to_lead_adjusted"]["ratios"][slow_bucket]
    got = adjusted[("all", slow_bucket)]
    lower, upper = truth["adjusted_ci95"]
    assert lower <= got["adjusted_rate_ratio"] <= upper, (got["adjusted_rate_ratio"], truth)
    assert got["adjusted_rate_ratio_ci95_lower"] <= truth["planted"] <= got["adjusted_rate_ratio_ci95_upper"]
    lower, upper = truth["crude_ci95"]
    assert lower <= got["crude_rate_ratio"] <= upper, (got["crude_rate_ratio"], truth)
    # the warehouse's strata are the generator's: the same ratios from the same leads, exactly
    assert got["adjusted_rate_ratio"] == pytest.approx(truth["realized_adjusted"], abs=1e-4)
    assert got["crude_rate_ratio"] == pytest.approx(truth["realized_crude"], abs=1e-4)
    lower, upper = truth["realized_adjusted_ci95"]
    assert got["adjusted_rate_ratio_ci95_lower"] == pytest.approx(lower, abs=1e-3)
    assert got["adjusted_rate_ratio_ci95_upper"] == pytest.approx(upper, abs=1e-3)


@pytest.mark.parametrize("slow_bucket", SLOW_BUCKETS)
def test_crude_and_adjusted_ratios_differ_by_the_planted_confounding(nightly, adjusted, slow_bucket):
    truth = nightly.truth["speed_to_lead_adjusted"]["ratios"][slow_bucket]
    planted_gap = truth["expected_crude"] / truth["expected_adjusted"]
    assert planted_gap > 1.2
    got = adjusted[("all", slow_bucket)]
    # crude and adjusted come from the same leads, so their quotient is far steadier than either
    assert got["crude_over_adjusted"] == pytest.approx(got["crude_rate_ratio"] / got["adjusted_rate_ratio"])
    assert got["crude_over_adjusted"] > 1.15, got
    assert got["crude_over_adjusted"] == pytest.approx(planted_gap, rel=0.15)


def test_the_one_hour_comparison_is_the_headline_summarys(bi, adjusted):
    [summary] = rows(bi, "select * from marts.mart_speed_to_lead_summary where slow_bucket = '3 1-2h'")
    got = adjusted[("all", "3 1-2h")]
    for column in ("fast_leads", "fast_leads_reached_fmot", "slow_leads", "slow_leads_reached_fmot"):
        assert got[column] == summary[column], column
    assert got["crude_rate_ratio"] == pytest.approx(summary["rate_ratio"])
    assert got["crude_rate_ratio_ci95_lower"] == pytest.approx(summary["rate_ratio_ci95_lower"])


def test_every_team_has_the_generators_ratios(nightly, adjusted):
    ratios = nightly.truth["speed_to_lead_adjusted"]["ratios"]
    teams = {team for team, _ in adjusted if team != "all"}
    assert teams == {t["name"] for t in nightly.truth["parameters"]["planted"]["teams"]}
    for team in teams:
        for slow_bucket in SLOW_BUCKETS:
            truth, got = ratios[slow_bucket]["by_team"][team], adjusted[(team, slow_bucket)]
            for measure in ("adjusted", "crude"):
                want = truth[f"realized_{measure}"]
                value = got[f"{measure}_rate_ratio"]
                assert (value is None) if want is None else value == pytest.approx(want, abs=1e-4), (team, slow_bucket, measure)
    # a team's arms add up to the company's
    for slow_bucket in SLOW_BUCKETS:
        for column in ("fast_leads", "fast_leads_reached_fmot", "slow_leads", "slow_leads_reached_fmot"):
            assert sum(adjusted[(t, slow_bucket)][column] for t in teams) == adjusted[("all", slow_bucket)][column]


def test_the_response_opportunity_recovers_the_planted_additional_fmots(nightly, bi):
    truth = nightly.truth["speed_to_lead_adjusted"]["opportunity"]["expected_additional_fmot"]
    got = rows(bi, """
        select team, sum(expected_additional_fmot) as additional, sum(slow_answered_leads) as slow_leads,
               sum(slow_answered_leads_reached_fmot) as slow_fmot, sum(leads_without_reference) as unreferenced,
               sum(expected_additional_wins) as wins, sum(expected_additional_revenue) as revenue,
               max(wins_per_fmot) as wins_per_fmot, min(wins_per_fmot) as wins_per_fmot_min
        from marts.mart_response_opportunity group by team""")
    total = sum(r["additional"] for r in got)
    lower, upper = truth["ci95"]
    assert lower <= total <= upper, (total, truth)
    assert sum(r["slow_leads"] for r in got) == truth["slow_answered_leads"]
    assert sum(r["slow_fmot"] for r in got) == truth["slow_answered_fmot"]
    assert sum(r["unreferenced"] for r in got) == 0  # every stratum has leads answered within the hour
    teams = nightly.truth["teams"]
    for r in got:
        team_truth = truth["by_team"][r["team"]]
        assert (r["slow_leads"], r["slow_fmot"]) == (team_truth["slow_answered_leads"], team_truth["slow_answered_fmot"])
        assert r["additional"] > 0
        # wins per fmot: the team's won leads over its good leads, as the generator counted them
        assert r["wins_per_fmot"] == r["wins_per_fmot_min"]
        assert r["wins_per_fmot"] == pytest.approx(teams[r["team"]]["won"] / teams[r["team"]]["good_leads"])
        assert r["wins"] == pytest.approx(r["additional"] * r["wins_per_fmot"])
        assert r["revenue"] > 0


def test_the_opportunity_intervals_hold_their_estimates(bi):
    got = rows(bi, "select * from marts.mart_response_opportunity")
    assert len(got) > 3 * 20
    for r in got:
        assert r["expected_additional_fmot_ci95_lower"] <= r["expected_additional_fmot"] <= r["expected_additional_fmot_ci95_upper"], r
        if r["slow_answered_leads"]:
            assert r["expected_additional_fmot_ci95_upper"] > r["expected_additional_fmot_ci95_lower"], r
        assert r["expected_fmot_within_1h"] - r["slow_answered_leads_reached_fmot"] == pytest.approx(r["expected_additional_fmot"])


def test_coverage_shows_when_leads_wait(nightly, bi):
    got = rows(bi, "select * from marts.mart_response_coverage order by hour_of_week")
    assert [r["hour_of_week"] for r in got] == list(range(168))
    assert sorted(r["hour_of_week_label"] for r in got) == [r["hour_of_week_label"] for r in got]
    assert sum(r["leads"] for r in got) == nightly.truth["moments"]["zmot"]
    assert sum(r["is_working_hour"] for r in got) == 5 * 8  # the working_hours seed: weekdays 9-17

    def share(rs):
        return sum(r["leads_answered_within_1h"] for r in rs) / sum(r["leads"] for r in rs)

    working = [r for r in got if r["is_working_hour"]]
    weekend = [r for r in got if r["iso_day_of_week"] >= 6]
    # planted: business-hours arrivals are answered fast far more often than weekend ones
    assert share(working) > 1.5 * share(weekend)
    # time logs are per day: each day's hours repeat over its 24 hours, and the week's add up
    per_day = {r["iso_day_of_week"]: r["weekday_outreach_hours"] for r in got}
    assert all(r["weekday_outreach_hours"] == per_day[r["iso_day_of_week"]] for r in got)
    assert sum(per_day.values()) == pytest.approx(sum(t["outreach_hours"] for t in nightly.truth["teams"].values()))


def test_rep_scorecard_standardises_each_reps_fmot_rate_for_lead_mix(nightly, bi):
    got = rows(bi, "select * from marts.mart_rep_scorecard")
    # indirect standardisation on the company's own stratum rates expects exactly the fmots seen
    assert sum(r["expected_fmot"] for r in got) == pytest.approx(sum(r["leads_reached_fmot"] for r in got))
    assert sum(r["leads_reached_fmot"] for r in got) == nightly.truth["moments"]["fmot"]
    assert sum(r["leads"] for r in got) == nightly.truth["moments"]["zmot"]
    for r in got:
        assert r["fmot_observed_over_expected_ci95_lower"] <= r["fmot_observed_over_expected"] <= r["fmot_observed_over_expected_ci95_upper"], r
        if r["response_hours_p50"] is not None:
            assert 0 < r["response_hours_p50"] <= r["response_hours_p90"], r
    # no rep is planted better or worse: most intervals hold 1
    holding = sum(r["fmot_observed_over_expected_ci95_lower"] <= 1 <= r["fmot_observed_over_expected_ci95_upper"] for r in got)
    assert holding >= 0.85 * len(got)
    # the patterns add up to the engagement-quality mart's
    quality = {r["pattern"]: r["leads_with_pattern"] for r in rows(bi, "select * from marts.mart_engagement_quality")}
    assert sum(r["templated_first_replies"] for r in got) == quality["templated_first_reply"]
    assert sum(r["answered_in_writing_when_call_requested"] for r in got) == quality["email_when_call_requested"]


def test_rep_percentiles_match_python_on_the_leads(bi):
    leads = defaultdict(list)
    for owner, month, seconds in bi.execute("""
            select owner_id, cohort_month, response_seconds from marts.fct_prospect_journey
            where response_seconds is not null""").fetchall():
        leads[(owner, month)].append(seconds / 3600)
    got = rows(bi, "select owner_id, cohort_month, response_hours_p50, response_hours_p90 from marts.mart_rep_scorecard")
    checked = 0
    for r in got:
        values = sorted(leads.get((r["owner_id"], r["cohort_month"]), []))
        if not values:
            continue
        position = 0.5 * (len(values) - 1)
        low, frac = int(math.floor(position)), position - math.floor(position)
        median = values[low] + frac * (values[min(low + 1, len(values) - 1)] - values[low])
        assert r["response_hours_p50"] == pytest.approx(median), r
        checked += 1
    assert checked > 10
