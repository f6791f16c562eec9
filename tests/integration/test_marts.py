"""The BI marts on the session's nightly run (scale 1): every planted effect in the generator's
truth file is recovered from the published marts, and the Kaplan–Meier figures computed in SQL
match an independent Python Kaplan–Meier on the published journey."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

PROJECT_DIR = Path(__file__).resolve().parents[2]
Z95 = 1.959963984540054
BI_MARTS = {
    "mart_speed_to_lead", "mart_time_to_moment", "mart_time_to_moment_curve", "mart_funnel",
    "mart_engagement_quality", "mart_team_efficiency", "mart_experience_advocacy", "mart_open_leads",
    "dim_calendar_days", "mart_coverage", "mart_survey_scores_monthly", "mart_speed_to_lead_by_breakdown",
    "mart_speed_to_lead_summary", "mart_funnel_stages", "mart_team_efficiency_monthly", "dim_moments",
    "mart_speed_to_lead_adjusted", "mart_response_opportunity", "mart_response_coverage", "mart_rep_scorecard",
}


def published(nightly):
    assert nightly.result.success, nightly.result.get_failed_step_keys()
    return duckdb.connect(str(nightly.settings.published_path), read_only=True)


def rows(bi, sql: str) -> list[dict]:
    cursor = bi.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def wilson(successes: int, trials: int) -> tuple[float, float]:
    """Wilson score interval, written from the textbook formula (not the SQL macro)."""
    p = successes / trials
    centre = p + Z95**2 / (2 * trials)
    spread = Z95 * math.sqrt(p * (1 - p) / trials + Z95**2 / (4 * trials**2))
    scale = 1 + Z95**2 / trials
    return (centre - spread) / scale, (centre + spread) / scale


def test_every_bi_mart_is_published(nightly):
    with published(nightly) as bi:
        names = {t for (t,) in bi.execute("select table_name from duckdb_tables()").fetchall()}
        assert BI_MARTS <= names, BI_MARTS - names
        for name in BI_MARTS:
            assert bi.execute(f"select count(*) from {name}").fetchone()[0] > 0, name


# --- speed to lead -----------------------------------------------------------------------------

def test_speed_to_lead_buckets_match_the_truth_exactly(nightly):
    with published(nightly) as bi:
        got = rows(bi, "select * from mart_speed_to_lead order by bucket_order")
    expected = nightly.truth["speed_to_lead"]["buckets"]
    # the generator's timestamps are all precise: the day-precise bucket is there, and empty
    *got, day_precise = got
    assert (day_precise["response_time_bucket"], day_precise["leads"]) == ("7 day-precise", 0)
    assert [r["response_time_bucket"] for r in got] == list(expected)
    # the labels sort in bucket order, as a BI tool sorts text
    assert sorted(r["response_time_bucket"] for r in got) == [r["response_time_bucket"] for r in got]
    for r in got:
        truth = expected[r["response_time_bucket"]]
        assert (r["leads"], r["leads_reached_fmot"]) == (truth["leads"], truth["fmot"]), r


@pytest.mark.parametrize("ratio, slow_bucket", [("within_1h_over_1_2h", "3 1-2h"), ("within_1h_over_gt_24h", "5 >24h")])
def test_speed_to_lead_recovers_the_hbr_shaped_ratios_within_their_interval(nightly, ratio, slow_bucket):
    with published(nightly) as bi:
        got = {r["response_time_bucket"]: r for r in rows(bi, "select * from mart_speed_to_lead")}
        summary = {r["slow_bucket"]: r for r in rows(bi, "select * from mart_speed_to_lead_summary")}
    fast = [got["1 <5m"], got["2 5-60m"]]
    fast_rate = sum(r["leads_reached_fmot"] for r in fast) / sum(r["leads"] for r in fast)
    observed = fast_rate / got[slow_bucket]["fmot_rate"]
    planted = nightly.truth["speed_to_lead"][ratio]
    assert planted["ci95"][0] <= observed <= planted["ci95"][1], (observed, planted)
    # the headline table holds the same figure, with its counts and an interval around it
    headline = summary[slow_bucket]
    assert headline["rate_ratio"] == pytest.approx(observed)
    assert (headline["fast_leads"], headline["fast_leads_reached_fmot"]) == (
        sum(r["leads"] for r in fast), sum(r["leads_reached_fmot"] for r in fast))
    assert headline["rate_ratio_ci95_lower"] <= observed <= headline["rate_ratio_ci95_upper"]
    # the mart's own lifts are the same ratios per bucket
    assert got["1 <5m"]["lift_vs_reference_bucket"] == pytest.approx(got["1 <5m"]["fmot_rate"] / got["3 1-2h"]["fmot_rate"])
    assert got["5 >24h"]["lift_vs_slowest_answered"] == pytest.approx(1.0)


def test_every_fmot_rate_interval_is_the_wilson_interval(nightly):
    with published(nightly) as bi:
        got = rows(bi, "select * from mart_speed_to_lead_by_breakdown")
    assert len(got) > 100
    for r in got:
        if r["leads"] == 0:
            assert r["fmot_rate"] is None and r["fmot_rate_ci95_lower"] is None, r
            continue
        lower, upper = wilson(r["leads_reached_fmot"], r["leads"])
        assert r["fmot_rate_ci95_lower"] == pytest.approx(lower, abs=1e-12), r
        assert r["fmot_rate_ci95_upper"] == pytest.approx(upper, abs=1e-12), r
        assert r["fmot_rate_ci95_lower"] <= r["fmot_rate"] <= r["fmot_rate_ci95_upper"], r
    # a textbook value: 1 success in 2 trials
    assert wilson(1, 2) == pytest.approx((0.0945, 0.9055), abs=1e-4)


def test_every_breakdown_counts_each_lead_once(nightly):
    with published(nightly) as bi:
        totals = bi.execute("""
            select response_time_measure, breakdown, response_time_bucket, sum(leads), sum(leads_reached_fmot)
            from mart_speed_to_lead_by_breakdown group by all
        """).fetchall()
    by_key = defaultdict(dict)
    for measure, breakdown, bucket, leads, fmot in totals:
        by_key[(measure, bucket)][breakdown] = (leads, fmot)
    for key, per_breakdown in by_key.items():
        assert set(per_breakdown) == {"all", "lead_source", "requested_channel", "team", "cohort_week"}, key
        assert len(set(per_breakdown.values())) == 1, (key, per_breakdown)
    # both measures hold every lead, with the same leads never answered
    for measure in ("elapsed", "business_hours"):
        assert sum(v["all"][0] for (m, _), v in by_key.items() if m == measure) == nightly.truth["moments"]["zmot"]
    assert by_key[("business_hours", "6 never")]["all"] == by_key[("elapsed", "6 never")]["all"]


# --- engagement quality, teams, advocacy ---------------------------------------------------------

def test_email_instead_of_call_share_is_recovered(nightly):
    with published(nightly) as bi:
        (got,) = rows(bi, "select * from mart_engagement_quality where pattern = 'email_when_call_requested'")
    truth = nightly.truth["email_instead_of_call"]
    assert got["eligible_leads"] == truth["phone_leads_answered"]
    assert got["leads_with_pattern"] == truth["first_answered_by_email"]
    assert got["fmot_rate_with_pattern"] == pytest.approx(truth["fmot_rate_first_by_email"], abs=1e-6)
    assert got["fmot_rate_without_pattern"] == pytest.approx(truth["fmot_rate_first_by_call"], abs=1e-6)
    assert got["pattern_rate_ci95_lower"] <= truth["planted_share"] <= got["pattern_rate_ci95_upper"], got


def test_unqualified_first_responder_share_is_near_the_planted_one(nightly):
    with published(nightly) as bi:
        (got,) = rows(bi, "select * from mart_engagement_quality where pattern = 'responder_unqualified'")
    planted = nightly.truth["parameters"]["planted"]["unqualified_first_responder"]
    # the planted share is drawn per lead: it must sit in a generous (99.9 %) interval
    assert abs(got["pattern_rate"] - planted) < 3.3 * math.sqrt(planted * (1 - planted) / got["eligible_leads"]), got


def test_hours_per_good_lead_and_deal_rates_by_team_are_recovered(nightly):
    with published(nightly) as bi:
        got = {r["team"]: r for r in rows(bi, """
            select team, sum(outreach_hours) as hours, sum(good_leads) as good_leads,
                   sum(decided_deals) as decided, sum(decided_deals_after_proposal) as proposals,
                   sum(won_deals_after_proposal) as won
            from mart_team_efficiency group by team
        """)}
    for team, truth in nightly.truth["teams"].items():
        r = got[team]
        assert (r["good_leads"], r["hours"]) == (truth["good_leads"], truth["outreach_hours"]), team
        assert r["hours"] / r["good_leads"] == pytest.approx(truth["hours_per_good_lead"]["planted"], abs=0.01), team
        assert (r["decided"], r["proposals"], r["won"]) == (
            truth["decided_deals"], truth["decided_after_proposal"], truth["won"]), team
        assert r["proposals"] / r["decided"] == pytest.approx(truth["proposal_rate"]["realized"], abs=1e-6)
        assert r["won"] / r["proposals"] == pytest.approx(truth["win_rate"]["realized"], abs=1e-6)
        # the planted rates lie inside the Wilson intervals of what the mart shows
        for (num, den), planted in (((r["proposals"], r["decided"]), truth["proposal_rate"]["planted"]),
                                    ((r["won"], r["proposals"]), truth["win_rate"]["planted"])):
            lower, upper = wilson(num, den)
            assert lower <= planted <= upper, (team, num, den, planted)


def test_nps_by_cohort_is_recovered(nightly):
    with published(nightly) as bi:
        got = {r["cohort"]: r for r in rows(bi, """
            select strftime(cohort_month, '%Y-%m') as cohort,
                   count(*) filter (where has_nps_response) as responses,
                   sum(is_promoter_count) as promoters, sum(is_detractor_count) as detractors
            from mart_experience_advocacy group by all
        """)}
    for cohort, truth in nightly.truth["nps_by_cohort"].items():
        r = got[cohort]
        assert (r["responses"], r["promoters"], r["detractors"]) == (
            truth["responses"], truth["promoters"], truth["detractors"]), cohort
        nps = 100 * (r["promoters"] - r["detractors"]) / r["responses"]
        assert round(nps, 2) == truth["nps"], cohort


def test_promoters_reaching_umot_and_the_referral_loop_are_recovered(nightly):
    with published(nightly) as bi:
        got = {r["is_promoter"]: r for r in rows(bi, """
            select nps_category = 'promoter' as is_promoter, count(*) as customers,
                   count(*) filter (where has_reached_umot) as reviewed
            from mart_experience_advocacy where has_nps_response group by all
        """)}
        referred = bi.execute("select sum(referred_prospects), sum(referred_zmots) from mart_experience_advocacy").fetchone()
    truth = nightly.truth["promoter_reviews"]
    assert (got[True]["customers"], got[True]["reviewed"]) == (truth["promoters"], truth["promoters_with_review"])
    assert (got[False]["customers"], got[False]["reviewed"]) == (truth["others"], truth["others_with_review"])
    lower, upper = wilson(truth["promoters_with_review"], truth["promoters"])
    assert lower <= truth["planted_promoters"] <= upper
    assert referred == (nightly.truth["moments"]["rmot"], nightly.truth["moments"]["rmot"])


# --- time to moment: Kaplan–Meier --------------------------------------------------------------

# Every pair of the moment_pairs seed, by the journey columns that time it.
TRANSITIONS = {
    ("zmot", "first_response"): ("zmot_at", "first_response_at"),
    ("zmot", "fmot"): ("zmot_at", "fmot_at"),
    ("zmot", "purchase"): ("zmot_at", "purchase_at"),
    ("first_response", "fmot"): ("first_response_at", "fmot_at"),
    ("fmot", "purchase"): ("fmot_at", "purchase_at"),
    ("purchase", "smot"): ("purchase_at", "smot_at"),
    ("purchase", "umot"): ("purchase_at", "umot_at"),
    ("smot", "umot"): ("smot_at", "umot_at"),
    ("purchase", "rmot"): ("purchase_at", "rmot_at"),
}


def kaplan_meier(durations: list[tuple[float, bool]]) -> list[tuple[float, int, float]]:
    """(time, at risk, survival after time) at each distinct event time; a plain product-limit
    estimator: censored subjects stay at risk up to and including their censoring time."""
    events = defaultdict(int)
    leaving = defaultdict(int)
    for t, observed in durations:
        leaving[t] += 1
        events[t] += observed
    at_risk, survival, curve = len(durations), 1.0, []
    for t in sorted(leaving):
        if events[t]:
            survival *= 1 - events[t] / at_risk
            curve.append((t, at_risk, survival))
        at_risk -= leaving[t]
    return curve


def quantile(curve, q: float):
    return next(((t, n) for t, n, s in curve if s <= 1 - q + 1e-9), (None, None))


def journeys_and_as_of(bi) -> tuple[list[dict], datetime]:
    columns = sorted({c for pair in TRANSITIONS.values() for c in pair})
    journeys = rows(bi, f"select {', '.join(columns)} from fct_prospect_journey where zmot_at is not null")
    (as_of,) = bi.execute("select max(reached_at) from fct_prospect_moments").fetchone()
    return journeys, as_of


def durations_for(journeys: list[dict], start: str, end: str, as_of: datetime) -> list[tuple[float, bool]]:
    """Hours from start to end, or to the as-of time (censored) while end has not happened."""
    durations = []
    for j in journeys:
        if j[start] is None or j[start] > as_of:
            continue
        done = j[end] is not None and j[end] <= as_of
        stop = j[end] if done else as_of
        durations.append((max((stop - j[start]) / timedelta(hours=1), 0.0), done))
    return durations


def test_kaplan_meier_in_sql_matches_an_independent_python_estimate(nightly):
    with published(nightly) as bi:
        summary = {(r["from_moment"], r["to_moment"]): r for r in rows(bi, "select * from mart_time_to_moment")}
        journeys, as_of = journeys_and_as_of(bi)
    # by default the build censors at the latest moment in the data
    assert {r["as_of_at"] for r in summary.values()} == {as_of}
    assert set(summary) == set(TRANSITIONS)
    for transition, (start, end) in TRANSITIONS.items():
        durations = durations_for(journeys, start, end, as_of)
        got = summary[transition]
        assert got["subjects"] == len(durations), transition
        assert got["events"] == sum(done for _, done in durations), transition
        assert got["censored"] == got["subjects"] - got["events"], transition
        assert got["duration_unit"] == "hour", transition  # the generator's timestamps are all precise
        curve = kaplan_meier(durations)
        for name, q in (("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
            t, n = quantile(curve, q)
            if t is None:
                assert got[f"{name}_hours"] is None, (transition, name)
            else:
                assert got[f"{name}_hours"] == pytest.approx(t, abs=1e-6), (transition, name)
                assert got[f"{name}_days"] == pytest.approx(t / 24, abs=1e-6), (transition, name)
                assert got[f"at_risk_at_{name}"] == n, (transition, name)


def survival_at(curve, t: float) -> float:
    """The product-limit estimate at t: the survival after the last event time at or before t."""
    return next((s for time, _, s in reversed(curve) if time <= t + 1e-9), 1.0)


@pytest.mark.parametrize("pair", [("zmot", "first_response"), ("zmot", "fmot"), ("purchase", "smot")])
def test_kaplan_meier_curve_on_the_shared_grid_matches_the_python_estimate(nightly, pair):
    """The curve mart holds S(t) on one grid from t = 0 (hours of the first week, days of the
    first year), so every pair overlays; each point equals the exact estimate at that t."""
    with published(nightly) as bi:
        grid = rows(bi, f"""
            select time_unit, t, survival, share_reached, cumulative_events, subjects from mart_time_to_moment_curve
            where from_moment = '{pair[0]}' and to_moment = '{pair[1]}' order by time_unit, t
        """)
        journeys, as_of = journeys_and_as_of(bi)
    durations = durations_for(journeys, *TRANSITIONS[pair], as_of)
    expected = kaplan_meier(durations)
    hours = [r for r in grid if r["time_unit"] == "hour"]
    days = [r for r in grid if r["time_unit"] == "day"]
    assert [r["t"] for r in hours] == list(range(169))
    assert [r["t"] for r in days] == list(range(366))
    for r in grid:
        t_hours = r["t"] * (24 if r["time_unit"] == "day" else 1)
        assert r["survival"] == pytest.approx(survival_at(expected, t_hours), abs=1e-9), r
        assert r["share_reached"] == pytest.approx(1 - r["survival"], abs=1e-12)
        assert r["cumulative_events"] == sum(1 for d, done in durations if done and d <= t_hours + 1e-9), r
        assert r["subjects"] == len(durations)


def test_open_leads_are_censored_not_failures(nightly):
    """Treating still-open leads as failures would bias the curve down; the mart must not."""
    with published(nightly) as bi:
        (got,) = rows(bi, "select * from mart_time_to_moment where from_moment = 'zmot' and to_moment = 'fmot'")
        naive_rate = bi.execute("select avg(case when fmot_at is not null then 1.0 else 0 end) "
                                "from fct_prospect_journey where zmot_at is not null").fetchone()[0]
        (final_survival,) = bi.execute("""
            select survival from mart_time_to_moment_curve
            where from_moment = 'zmot' and to_moment = 'fmot' and time_unit = 'day'
            order by t desc limit 1
        """).fetchone()
    assert got["censored"] > 0
    # the KM share that reached fmot is at least the naive share (censoring only removes failures)
    assert 1 - final_survival >= naive_rate - 1e-12


# --- funnel and open leads ---------------------------------------------------------------------

def test_funnel_steps_add_up(nightly):
    with published(nightly) as bi:
        overall = {(r["from_moment"], r["to_moment"]): r for r in rows(bi, "select * from mart_funnel where breakdown = 'all'")}
        sums = bi.execute("""
            select breakdown, pair_order, sum(entered), sum(converted_within_window), sum(entered_with_full_window)
            from mart_funnel group by all order by all
        """).fetchall()
    moments = nightly.truth["moments"]
    assert overall[("zmot", "fmot")]["entered"] == moments["zmot"]
    assert overall[("zmot", "fmot")]["converted_ever"] == moments["fmot"]
    assert overall[("fmot", "purchase")]["converted_ever"] == moments["purchase"]
    assert overall[("purchase", "smot")]["entered"] == moments["purchase"]
    # lead -> won straight from the first inquiry, whatever happened between
    assert overall[("zmot", "purchase")]["converted_ever"] == moments["purchase"]
    assert set(overall) == set(TRANSITIONS)
    for r in overall.values():
        assert r["converted_within_window"] <= r["entered_with_full_window"] <= r["entered"], r
        assert r["converted_within_window"] <= r["converted_ever"], r
    # every breakdown splits the same prospects
    per_step = defaultdict(set)
    for _, step, *counts in sums:
        per_step[step].add(tuple(counts))
    assert all(len(v) == 1 for v in per_step.values()), per_step


def test_open_leads_have_no_fmot_and_flag_the_sla(nightly):
    with published(nightly) as bi:
        got = rows(bi, "select * from mart_open_leads")
        fmot = {p for (p,) in bi.execute("select prospect_id from fct_prospect_journey where fmot_at is not null").fetchall()}
    assert got
    for r in got:
        assert r["prospect_id"] not in fmot
        assert 0 <= r["age_hours"] <= 30 * 24
        waited = ((r["first_response_at"] or r["as_of_at"]) - r["zmot_at"]) / timedelta(hours=1)
        assert r["is_sla_breached"] == (waited > 1), r


# --- semantic layer ----------------------------------------------------------------------------

def test_metricflow_answers_hours_per_good_lead_and_nps_like_the_marts(nightly, tmp_path):
    """`mf query` on a copy of the project and of the nightly warehouse (MetricFlow reads the
    project's target/ and opens the database itself)."""
    mf = Path(sys.executable).parent / "mf"
    if not mf.exists():
        pytest.fail("dbt-metricflow is not installed: pip install -e '.[dev]'")
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns(
        ".venv", "target", "logs", "warehouse", "published", ".git", "landing", "reports", "__pycache__",
        ".postgres", ".spark", ".dagster"))  # a live server's files (sockets) cannot be copied
    (tmp_path / "wh").mkdir()
    warehouse = tmp_path / "wh" / "warehouse.duckdb"  # views name their catalog after the file
    shutil.copy(nightly.settings.warehouse_path, warehouse)
    env = {**os.environ, "MOT_WAREHOUSE_PATH": str(warehouse), "DBT_PROFILES_DIR": str(project),
           "MOT_DBT_TARGET": "duckdb", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("DBT_TARGET_PATH", None)
    dbt = Path(sys.executable).parent / "dbt"
    parsed = subprocess.run([str(dbt), "parse"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert parsed.returncode == 0, parsed.stdout[-3000:]

    def query(*args: str) -> list[list[str]]:
        out = subprocess.run([str(mf), "query", *args, "--csv", str(tmp_path / "out.csv")], cwd=project, env=env,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        return [line.split(",") for line in (tmp_path / "out.csv").read_text().splitlines()[1:]]

    by_team = {team: float(value) for team, value in query("--metrics", "hours_per_good_lead", "--group-by", "owner__team")}
    for team, truth in nightly.truth["teams"].items():
        assert by_team[team] == pytest.approx(truth["hours_per_good_lead"]["planted"], abs=0.01), team
    by_cohort = {month[:7]: value for month, value in query("--metrics", "nps", "--group-by", "customer__cohort_month__month")}
    for cohort, truth in nightly.truth["nps_by_cohort"].items():
        assert round(float(by_cohort[cohort]), 2) == truth["nps"], cohort
    ((lead_count, fmot_rate),) = query("--metrics", "lead_count,fmot_rate")
    assert int(float(lead_count)) == nightly.truth["moments"]["zmot"]
    assert float(fmot_rate) == pytest.approx(nightly.truth["moments"]["fmot"] / nightly.truth["moments"]["zmot"])
    # what speed is worth, and each rep's fmot rate for its lead mix (1 over all reps, by construction)
    ((additional,),) = query("--metrics", "additional_fmot_if_answered_within_1h")
    lower, upper = nightly.truth["speed_to_lead_adjusted"]["opportunity"]["expected_additional_fmot"]["ci95"]
    assert lower <= float(additional) <= upper
    ((observed_over_expected,),) = query("--metrics", "fmot_observed_over_expected")
    assert float(observed_over_expected) == pytest.approx(1.0)
    by_team = {team: float(v) for team, v in query("--metrics", "fmot_observed_over_expected", "--group-by", "owner__team")}
    assert set(by_team) == set(nightly.truth["teams"])
