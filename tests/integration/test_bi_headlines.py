"""Every headline chart, as a BI tool draws it: one plain `select ... from <table>` (no window, no
CASE, at most one filter) on the published file, checked against an answer computed another way
from the lead-grain facts in the same file."""

from __future__ import annotations

import math

import duckdb
import pytest


@pytest.fixture(scope="module")
def published(nightly):
    with duckdb.connect(str(nightly.settings.published_path), read_only=True) as conn:
        yield conn


def rows(conn, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


def test_speed_to_lead_is_one_row_per_bucket_whose_labels_sort_in_order(published):
    chart = rows(published, "select response_time_bucket, leads, leads_reached_fmot, fmot_rate from marts.mart_speed_to_lead")
    independent = dict(
        (bucket, (leads, reached))
        for bucket, leads, reached in rows(published, """
            select response_time_bucket, count(*), count(*) filter (where has_reached_fmot)
            from marts.fct_prospect_journey group by response_time_bucket""")
    )
    labels = [label for label, *_ in chart]
    # A BI tool sorts a text axis alphabetically: that order must be the buckets' order.
    by_order = [label for (label,) in rows(published, "select response_time_bucket from marts.mart_speed_to_lead order by bucket_order")]
    assert sorted(labels) == by_order
    assert all(label.isascii() and "–" not in label for label in labels)
    # Every lead counted once: the chart's leads sum to all leads.
    assert sum(leads for _, leads, _, _ in chart) == rows(published, "select count(*) from marts.fct_prospect_journey")[0][0]
    for label, leads, reached, rate in chart:
        assert (leads, reached) == independent.get(label, (0, 0)), label
        assert rate is None if leads == 0 else math.isclose(rate, reached / leads), label


def test_the_one_hour_lift_and_its_interval_are_in_one_row(published):
    [(fast, fast_reached, slow, slow_reached, ratio, lower, upper)] = rows(published, """
        select fast_leads, fast_leads_reached_fmot, slow_leads, slow_leads_reached_fmot,
               rate_ratio, rate_ratio_ci95_lower, rate_ratio_ci95_upper
        from marts.mart_speed_to_lead_summary where slow_bucket = '3 1-2h'""")
    # within 1 h = buckets '1 <5m' and '2 5-60m', counted from the journey facts directly
    [(f, fr, s, sr)] = rows(published, """
        select count(*) filter (where response_seconds < 3600),
               count(*) filter (where response_seconds < 3600 and has_reached_fmot),
               count(*) filter (where response_seconds >= 3600 and response_seconds < 7200),
               count(*) filter (where response_seconds >= 3600 and response_seconds < 7200 and has_reached_fmot)
        from marts.fct_prospect_journey""")
    assert (fast, fast_reached, slow, slow_reached) == (f, fr, s, sr)
    assert math.isclose(ratio, (fr / f) / (sr / s))
    # Katz log interval around the ratio
    se = math.sqrt(1 / fr - 1 / f + 1 / sr - 1 / s)
    assert math.isclose(lower, ratio * math.exp(-1.959963984540054 * se), rel_tol=1e-6)
    assert math.isclose(upper, ratio * math.exp(1.959963984540054 * se), rel_tol=1e-6)
    assert lower > 1


def test_the_funnel_is_linear_with_the_referral_branch_apart(published):
    chart = rows(published, """select stage, branch, previous_stage, prospects_reached, previous_stage_reached, is_final_stage
                               from marts.mart_funnel_stages""")
    reached = dict(rows(published, "select moment, count(distinct prospect_id) from marts.fct_prospect_moments group by moment"))
    reached["first_response"] = rows(published, "select count(*) from marts.fct_prospect_journey where has_response_attempt")[0][0]
    by_stage = {stage: count for stage, _, _, count, _, _ in chart}
    main = [stage for stage, branch, *_ in chart if branch == "main"]
    assert main[:4] == ["zmot", "first_response", "fmot", "purchase"]
    for stage, branch, previous, count, previous_count, _ in chart:
        assert count == reached.get(stage, 0), stage
        if previous is not None:
            assert previous_count == by_stage[previous], stage
    # Each branch ends once; the main line never counts a branch's stage.
    assert sum(is_final for *_, is_final in chart) == len({branch for _, branch, *_ in chart})
    assert "rmot" not in main


def test_kaplan_meier_curves_share_one_grid_from_zero(published):
    chart = rows(published, "select pair_label, t, survival from marts.mart_time_to_moment_curve where time_unit = 'hour'")
    grids = {}
    for label, t, survival in chart:
        grids.setdefault(label, {})[t] = survival
    for label in ("zmot -> first_response", "zmot -> fmot", "zmot -> purchase"):
        assert label in grids, label
    assert len({tuple(sorted(points)) for points in grids.values()}) == 1  # one shared grid
    for label, points in grids.items():
        assert min(points) == 0 and max(points) == 168, label
        values = [points[t] for t in sorted(points)]
        assert all(a >= b for a, b in zip(values, values[1:])), label  # a survival curve never rises
    days = rows(published, "select distinct pair_label from marts.mart_time_to_moment_curve where time_unit = 'day'")
    assert {label for (label,) in days} >= set(grids)


def product_limit(durations: list[tuple[float, bool]], t: float) -> float:
    """S(t) by Kaplan-Meier from (duration, reached) pairs, written out here without the project's SQL."""
    survival = 1.0
    for time in sorted({d for d, reached in durations if reached and d <= t}):
        at_risk = sum(1 for d, _ in durations if d >= time)
        events = sum(1 for d, reached in durations if reached and d == time)
        survival *= 1 - events / at_risk
    return survival


def test_the_zmot_to_fmot_curve_matches_a_product_limit_estimate(published):
    [(as_of,)] = rows(published, "select as_of_at from marts.mart_time_to_moment where pair_label = 'zmot -> fmot'")
    journeys = rows(published, "select zmot_at, fmot_at from marts.fct_prospect_journey where zmot_at is not null")
    durations = []
    for zmot_at, fmot_at in journeys:
        if fmot_at is not None and fmot_at <= as_of:
            durations.append((max((fmot_at - zmot_at).total_seconds(), 0) / 3600, True))
        else:
            durations.append(((as_of - zmot_at).total_seconds() / 3600, False))
    curve = dict(rows(published, """select t, survival from marts.mart_time_to_moment_curve
                                   where pair_label = 'zmot -> fmot' and time_unit = 'hour'"""))
    for t in (1, 24, 72, 168):
        assert math.isclose(curve[t], product_limit(durations, t), abs_tol=1e-9), t


def test_team_hours_per_good_lead_reaggregate_from_additive_columns(published):
    chart = rows(published, """select team, sum(outreach_hours), sum(good_leads)
                               from marts.mart_team_efficiency_monthly group by team""")
    weekly = dict(
        (team, (hours, leads))
        for team, hours, leads in rows(published, """
            select team, sum(outreach_hours), sum(good_leads) from marts.mart_team_efficiency group by team""")
    )
    assert chart
    for team, hours, leads in chart:
        assert math.isclose(hours, weekly[team][0]) and leads == weekly[team][1], team
    ratios = rows(published, "select outreach_hours, good_leads, hours_per_good_lead from marts.mart_team_efficiency_monthly")
    for hours, leads, ratio in ratios:
        assert ratio is None if not leads else math.isclose(ratio, hours / leads)
    types = dict(rows(published, """select column_name, data_type from information_schema.columns
                                    where table_name = 'mart_team_efficiency_monthly'"""))
    assert types["month_start"] == "DATE"


def test_the_published_file_says_which_run_and_data_date_it_shows(published):
    info = rows(published, "select source, run_id, published_at, data_as_of from marts.publish_info")
    assert info and all(run_id and published_at for _, run_id, published_at, _ in info)
    assert len({run_id for _, run_id, _, _ in info}) == 1
    [(moments,)] = rows(published, "select count(*) from marts.dim_moments")
    assert moments >= 7
    [(first_day, last_day)] = rows(published, "select min(date_day), max(date_day) from marts.dim_calendar_days")
    [(first_zmot, last_zmot)] = rows(published, "select min(zmot_at), max(zmot_at) from marts.fct_prospect_journey")
    assert first_day <= first_zmot.date() and last_day.year <= last_zmot.year + 1
