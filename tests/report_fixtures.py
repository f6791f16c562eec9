"""A small published file, written with plain SQL, holding every table the nightly report draws.

The report tests (unit and browser) need the marts' published shape, not a pipeline run: this file
is the shape the report reads, with figures small enough to check by eye. `drop` leaves tables out
and `unsupported` marks journey steps unsupported in mart_coverage, as a build without them would.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# The charts the report draws from this file when nothing is dropped or unsupported:
# speed to lead (rates, lift), what speed is worth (crude against adjusted, opportunity, coverage),
# funnel, curves, engagement quality, team efficiency, NPS, advocacy loop, public rating by month,
# conversion by rating band, open leads.
CHARTS_IN_FULL_FILE = 14
HOSTILE_TEAM = "</script><b>Team X</b>"
FORMULA_REASON = "=HYPERLINK(\"http://evil.example\",\"click\")"

TABLES = {
    "mart_speed_to_lead": """
        select * from (values
          (1, '<5m',   400, 160, 0.40, 0.35, 0.45, 6.7),
          (2, '5-60m', 300,  96, 0.32, 0.27, 0.37, 5.3),
          (3, '1-2h',  200,  12, 0.06, 0.03, 0.10, 1.0),
          (4, '2-24h', 300,  12, 0.04, 0.02, 0.07, 0.67),
          (5, '>24h',  150,   1, 0.0067, 0.001, 0.037, 0.11),
          (6, 'never', 100,   0, 0.0, 0.0, 0.037, 0.0)
        ) t(bucket_order, response_time_bucket, leads, leads_reached_fmot, fmot_rate,
            fmot_rate_ci95_lower, fmot_rate_ci95_upper, lift_vs_reference_bucket)""",
    "mart_speed_to_lead_summary": """
        select * from (values
          ('within 1h vs 1-2h', 700, 256, 0.3657, 200, 12, 0.06, 6.10, 3.50, 10.6),
          ('within 1h vs after 24h', 700, 256, 0.3657, 150, 1, 0.0067, 54.9, 7.8, 386.0)
        ) t(comparison, fast_leads, fast_leads_reached_fmot, fast_fmot_rate, slow_leads,
            slow_leads_reached_fmot, slow_fmot_rate, rate_ratio, rate_ratio_ci95_lower, rate_ratio_ci95_upper)""",
    "mart_speed_to_lead_adjusted": """
        select * from (values
          ('all', 'within 1h vs 3 1-2h', 3, 9.4, 7.4, 11.9, 7.0, 5.5, 8.9),
          ('all', 'within 1h vs 4 2-24h', 4, 15.5, 12.0, 20.1, 12.0, 9.3, 15.7),
          ('all', 'within 1h vs 5 >24h', 5, 78.0, 37.0, 164.6, 60.2, 28.3, 128.0)
        ) t(breakdown, comparison, slow_bucket_order, crude_rate_ratio, crude_rate_ratio_ci95_lower,
            crude_rate_ratio_ci95_upper, adjusted_rate_ratio, adjusted_rate_ratio_ci95_lower, adjusted_rate_ratio_ci95_upper)""",
    "mart_response_opportunity": """
        select * from (values
          ('Inbound East', date '2026-06-01', 20.5, 2.1, 105000.0, 60),
          ('Inbound West', date '2026-06-01', 18.0, 5.3, 132500.0, 55),
          ('Inbound East', date '2026-06-08', 22.5, 2.3, 115000.0, 64),
          ('Inbound West', date '2026-06-08', 16.0, 4.8, 120000.0, 50)
        ) t(team, cohort_week, expected_additional_fmot, expected_additional_wins, expected_additional_revenue,
            slow_answered_leads)""",
    "mart_response_coverage": """
        select h as hour_of_week, (h // 24 + 1)::varchar || ' h' || lpad((h % 24)::varchar, 2, '0') as hour_of_week_label,
               10 + h % 7 as leads, case when h // 24 < 5 and h % 24 between 9 and 16 then 0.7 else 0.3 end
               as share_answered_within_1h, h // 24 < 5 and h % 24 between 9 and 16 as is_working_hour
        from range(0, 168) r(h)""",
    "mart_funnel_stages": """
        select * from (values
          (1, 'zmot', '1 Inquiry', 'main', 1450, null, 1.0),
          (2, 'first_response', '2 First response', 'main', 1350, 0.931, 0.931),
          (3, 'fmot', '3 First meaningful engagement', 'main', 281, 0.208, 0.194),
          (4, 'purchase', '4 Purchase', 'main', 120, 0.427, 0.083),
          (1, 'rmot', '1 Referred', 'referral', 50, null, null),
          (2, 'zmot', '2 Referred inquiry', 'referral', 40, 0.8, null)
        ) t(stage_order, stage, stage_label, branch, prospects_reached, conversion_from_previous, share_of_leads)""",
    "mart_time_to_moment_curve": """
        select from_moment, to_moment, time_unit, t, 1 - share as survival, share as share_reached
        from (values ('zmot', 'first_response', 0.9), ('zmot', 'fmot', 0.25), ('zmot', 'purchase', 0.09)) p(from_moment, to_moment, final)
        cross join (values ('day'), ('hour')) u(time_unit)
        cross join range(0, 31) r(t)
        cross join lateral (select final * (1 - exp(-t / 4.0)) as share)""",
    "mart_engagement_quality": """
        select * from (values
          ('email_when_call_requested', 1, 0.30, 0.08, 0.25, 500, 150),
          ('responder_unqualified', 2, 0.12, 0.05, 0.22, 1300, 156),
          ('templated_first_reply', 3, 0.40, 0.10, 0.28, 1300, 520),
          ('deferral_without_follow_up', 4, 0.06, 0.02, 0.21, 1300, 78),
          ('asked_again_for_form_data', 5, 0.05, 0.07, 0.20, 1300, 65)
        ) t(pattern, pattern_order, pattern_rate, fmot_rate_with_pattern, fmot_rate_without_pattern,
            eligible_leads, leads_with_pattern)""",
    "mart_team_efficiency_monthly": f"""
        select team, month_start, outreach_hours, good_leads, outreach_hours / nullif(good_leads, 0) as hours_per_good_lead
        from (values
          ('East', date '2026-01-01', 420.0, 20), ('East', date '2026-02-01', 380.0, 24),
          ('East', date '2026-03-01', 300.0, 30), ('West', date '2026-01-01', 500.0, 22),
          ('West', date '2026-02-01', 460.0, 25), ('West', date '2026-03-01', 440.0, 30),
          ('{HOSTILE_TEAM}', date '2026-03-01', 100.0, 5)
        ) t(team, month_start, outreach_hours, good_leads)""",
    "mart_survey_scores_monthly": """
        select * from (values
          (date '2026-02-01', 'nps', 20, 20, 10, 4, 30.0),
          (date '2026-03-01', 'nps', 25, 25, 15, 5, 40.0),
          (date '2026-04-01', 'nps', 30, 30, 12, 9, 10.0),
          (date '2026-03-01', 'csat', 10, 0, 0, 0, null)
        ) t(survey_month, survey_type, responses, nps_responses, promoters, detractors, nps)""",
    "mart_experience_advocacy": """
        select 'c' || i as prospect_id,
               case when i % 4 = 0 then 'promoter' when i % 4 = 1 then 'passive'
                    when i % 4 = 2 then 'detractor' end as nps_category,
               i % 4 = 0 and i % 8 = 0 as has_reached_umot,
               case when i % 4 = 0 then 1 else 0 end as referred_prospects,
               case when i % 8 = 0 then 1 else 0 end as referred_zmots
        from range(120) r(i)""",
    "mart_reputation": """
        select * from (values
          (date '2026-01-01', 150, 4.15, 0.13, 4.15, 1540, true),
          (date '2026-02-01', 140, 3.74, 0.22, 3.96, 1560, true),
          (date '2026-03-01', 170, 3.67, 0.21, 3.85, null, true)
        ) t(review_month, reviews, average_rating, negative_review_share, running_rating_at_month_end,
            zmots_in_following_weeks, is_all_platforms)""",
    "mart_conversion_by_rating_band": """
        select * from (values
          (null, null, 49, 0.10, 0.04, 0.22, 49, 0.04, 0.01, 0.14),
          ('1 <4.0', 1, 6700, 0.146, 0.138, 0.155, 1779, 0.029, 0.022, 0.038),
          ('2 4.0-4.3', 2, 1666, 0.208, 0.189, 0.228, 1666, 0.053, 0.044, 0.065),
          ('3 >=4.3', 3, 1585, 0.271, 0.250, 0.294, 1585, 0.079, 0.067, 0.094)
        ) t(rating_band, band_order, leads, fmot_rate, fmot_rate_lower, fmot_rate_upper, leads_with_full_window,
            purchase_rate_within_window, purchase_rate_within_window_lower, purchase_rate_within_window_upper)""",
    "mart_review_loop": """
        select * from (values
          ('promoter', 142, 47, 0, 0.0, 0.0, 0.026, 0.331),
          ('passive', 65, 2, 0, 0.0, 0.0, 0.056, 0.031),
          ('detractor', 67, 23, 23, 0.343, 0.241, 0.463, 0.343),
          (null, 113, 0, 0, 0.0, 0.0, 0.033, 0.0)
        ) t(nps_category, customers, reviewers, negative_reviewers, negative_review_rate, negative_review_rate_lower,
            negative_review_rate_upper, review_rate)""",
    "mart_open_leads": f"""
        select 'p' || i as prospect_id,
               case when i % 3 = 0 then 'East' when i % 3 = 1 then 'West' else null end as team,
               (i * 7 % 600) * 1.0 as age_hours, i % 2 = 0 as is_sla_breached
        from range(45) r(i)""",
    "mart_coverage": f"""
        select * from (values
          ('source_table', 'crm_contacts', 1, true, null, 2000, timestamp '2026-06-30 10:00:00'),
          ('source_table', 'reviews_reviews', 2, false, '{FORMULA_REASON.replace("'", "''")}', 0, null),
          ('moment', 'zmot', 1, true, null, 1450, timestamp '2026-06-30 10:00:00'),
          ('moment', 'first_response', 2, true, null, 1350, null),
          ('moment', 'fmot', 3, true, null, 281, null),
          ('moment', 'purchase', 4, true, null, 120, null),
          ('moment', 'umot', 5, false, '-no reviews export', 0, null)
        ) t(coverage_kind, coverage_item, item_order, is_supported, reason, row_count, last_at)""",
    "mart_time_to_moment": "select timestamp '2026-06-30 23:00:00' as as_of_at",
    "publish_info": """
        select * from (values
          ('all', 'run-fixture-1', timestamp '2026-07-01 03:05:00', timestamp '2026-06-30 23:00:00', '0.1.0', '1.11.16')
        ) t(source, run_id, published_at, data_as_of, project_version, dbt_version)""",
}


def make_published_file(path: Path, drop: tuple[str, ...] = (), unsupported: tuple[str, ...] = ()) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as conn:
        for table, sql in TABLES.items():
            if table not in drop:
                conn.execute(f"create table {table} as {sql}")
        if "mart_coverage" not in drop:
            for step in unsupported:
                conn.execute("""update mart_coverage set is_supported = false, reason = 'no activities in this export'
                                where coverage_kind = 'moment' and coverage_item = ?""", [step])
    return path
