"""What the nightly report shows: one section per question a sales leader asks, read from the marts.

Each section reads its mart through `PublishedMarts` (which turns a missing table, column, row or
unsupported journey step into an `Absent` sentence) and draws it with Altair (Vega-Lite). Every
figure is read as published: the marts already hold the rates, intervals and lifts, so nothing here
recomputes a number a BI tool would show differently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt

from .report_data import Absent, PublishedMarts, Rows

CHART_WIDTH = 460
CHART_HEIGHT = 240
PERCENT = ".0%"
# Months are DATEs at the first of the month (UTC): one tick per month, never a mid-month tick.
MONTH_AXIS = alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 1}, labelAngle=0)
# The Kaplan–Meier pairs the report draws (from, to), in the journey's order.
CURVE_PAIRS = (("zmot", "first_response"), ("zmot", "fmot"), ("zmot", "purchase"))
# The curves' horizon: the funnel's conversion window (var funnel_conversion_window_days); later
# days are a flat line that squeezes the weeks a sales leader acts on.
CURVE_DAYS = 90


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list]


@dataclass(frozen=True)
class Note:
    text: str


Block = dict | Absent | Table | Note  # a dict is a Vega-Lite spec


@dataclass
class Section:
    title: str
    question: str
    blocks: list[Block] = field(default_factory=list)


def build_sections(marts: PublishedMarts) -> list[Section]:
    return [
        speed_to_lead(marts),
        speed_worth(marts),
        funnel(marts),
        time_to_moment(marts),
        engagement_quality(marts),
        team_efficiency(marts),
        experience_and_advocacy(marts),
        reputation(marts),
        open_leads(marts),
        coverage(marts),
    ]


def speed_to_lead(marts: PublishedMarts) -> Section:
    section = Section("Speed to lead", "Do leads answered faster reach a first meaningful engagement (FMOT) more often?")
    columns = ["bucket_order", "response_time_bucket", "leads", "leads_reached_fmot", "fmot_rate",
               "fmot_rate_ci95_lower", "fmot_rate_ci95_upper", "lift_vs_reference_bucket"]
    rows = marts.rows("mart_speed_to_lead", columns,
                      f"select {', '.join(columns)} from main.mart_speed_to_lead order by bucket_order",
                      needs_steps=("first_response", "fmot"), one_row_per=("response_time_bucket",))
    section.blocks.append(rows if isinstance(rows, Absent) else _fmot_rate_by_bucket(rows))

    summary_columns = ["comparison", "fast_leads", "fast_leads_reached_fmot", "fast_fmot_rate", "slow_leads",
                       "slow_leads_reached_fmot", "slow_fmot_rate", "rate_ratio", "rate_ratio_ci95_lower",
                       "rate_ratio_ci95_upper"]
    summary = marts.rows("mart_speed_to_lead_summary", summary_columns, needs_steps=("first_response", "fmot"),
                         one_row_per=("comparison",))
    if isinstance(summary, Absent):
        section.blocks.append(summary)
        return section
    for row in summary:
        section.blocks.append(Note(_lift_sentence(row)))
    if any(row["rate_ratio"] is not None for row in summary):
        section.blocks.append(_lift_chart(summary))
    return section


def _fmot_rate_by_bucket(rows: Rows) -> dict:
    order = [r["response_time_bucket"] for r in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("response_time_bucket:N", sort=order, title="first response within", axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(color="#4c78a8").encode(
        y=alt.Y("fmot_rate:Q", title="leads reaching FMOT", axis=alt.Axis(format=PERCENT)),
        tooltip=[alt.Tooltip("response_time_bucket:N", title="bucket"), alt.Tooltip("leads:Q"),
                 alt.Tooltip("leads_reached_fmot:Q", title="reached FMOT"),
                 alt.Tooltip("fmot_rate:Q", format=".1%", title="FMOT rate"),
                 alt.Tooltip("fmot_rate_ci95_lower:Q", format=".1%", title="95 % CI from"),
                 alt.Tooltip("fmot_rate_ci95_upper:Q", format=".1%", title="95 % CI to"),
                 alt.Tooltip("lift_vs_reference_bucket:Q", format=".2f", title="lift vs reference")])
    interval = base.mark_rule(color="#222", strokeWidth=1.5).encode(
        y="fmot_rate_ci95_lower:Q", y2="fmot_rate_ci95_upper:Q")
    labels = base.mark_text(dy=-8, dx=14, fontSize=11).encode(
        y="fmot_rate:Q", text=alt.Text("fmot_rate:Q", format=PERCENT))
    return (bars + interval + labels).properties(
        width=CHART_WIDTH, height=CHART_HEIGHT,
        title="FMOT rate by response time (bars), 95 % interval (lines)").to_dict()


def _lift_sentence(row: dict) -> str:
    ratio = row["rate_ratio"]
    if ratio is None:
        return f"{row['comparison']}: no ratio (one side has no leads)."
    interval = ""
    if row["rate_ratio_ci95_lower"] is not None and row["rate_ratio_ci95_upper"] is not None:
        interval = f" (95 % interval {row['rate_ratio_ci95_lower']:.1f}–{row['rate_ratio_ci95_upper']:.1f})"
    return (f"{row['comparison']}: {_rate(row['fast_fmot_rate'])} of {row['fast_leads']:,} leads reached FMOT against "
            f"{_rate(row['slow_fmot_rate'])} of {row['slow_leads']:,}, {ratio:.1f}× as often{interval}.")


def _lift_chart(rows: Rows) -> dict:
    plotted = [r for r in rows if r["rate_ratio"] is not None]
    base = alt.Chart(alt.Data(values=plotted)).encode(
        y=alt.Y("comparison:N", title=None, sort=[r["comparison"] for r in plotted]))
    interval = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("rate_ratio_ci95_lower:Q", title="FMOT rate ratio, fast vs slow (log scale)",
                scale=alt.Scale(type="log")),
        x2="rate_ratio_ci95_upper:Q")
    point = base.mark_point(filled=True, size=80, color="#e45756").encode(
        x="rate_ratio:Q",
        tooltip=[alt.Tooltip("comparison:N"), alt.Tooltip("rate_ratio:Q", format=".2f", title="ratio"),
                 alt.Tooltip("rate_ratio_ci95_lower:Q", format=".2f", title="95 % CI from"),
                 alt.Tooltip("rate_ratio_ci95_upper:Q", format=".2f", title="95 % CI to")])
    labels = base.mark_text(dy=-10, fontSize=11).encode(x="rate_ratio:Q", text=alt.Text("rate_ratio:Q", format=".1f"))
    height = max(60, 40 * len(plotted))
    return (interval + point + labels).properties(
        width=CHART_WIDTH, height=height, title="Lift: how many times as often fast answers reach FMOT").to_dict()


def speed_worth(marts: PublishedMarts) -> Section:
    section = Section("What speed is worth",
                      "Is speed still worth it once lead mix is held fixed, what would answering every lead within an hour "
                      "add, and when do leads wait?")
    columns = ["breakdown", "comparison", "slow_bucket_order", "crude_rate_ratio", "crude_rate_ratio_ci95_lower",
               "crude_rate_ratio_ci95_upper", "adjusted_rate_ratio", "adjusted_rate_ratio_ci95_lower",
               "adjusted_rate_ratio_ci95_upper"]
    adjusted = marts.rows("mart_speed_to_lead_adjusted", columns,
                          f"""select {', '.join(columns)} from main.mart_speed_to_lead_adjusted
                              where breakdown = 'all' order by slow_bucket_order""",
                          needs_steps=("first_response", "fmot"), one_row_per=("comparison",))
    if isinstance(adjusted, Absent):
        section.blocks.append(adjusted)
    else:
        section.blocks.extend(Note(_adjusted_sentence(row)) for row in adjusted)
        if any(row["adjusted_rate_ratio"] is not None for row in adjusted):
            section.blocks.append(_crude_against_adjusted_chart(adjusted))

    columns = ["team", "cohort_week", "expected_additional_fmot", "expected_additional_wins",
               "expected_additional_revenue", "slow_answered_leads"]
    opportunity = marts.rows("mart_response_opportunity", columns,
                             f"select {', '.join(columns)} from main.mart_response_opportunity order by cohort_week, team",
                             needs_steps=("first_response", "fmot"), one_row_per=("team", "cohort_week"))
    if isinstance(opportunity, Absent):
        section.blocks.append(opportunity)
    else:
        section.blocks.append(Note(_opportunity_sentence(opportunity)))
        section.blocks.append(_opportunity_chart(opportunity))

    columns = ["hour_of_week", "hour_of_week_label", "leads", "share_answered_within_1h", "is_working_hour"]
    coverage = marts.rows("mart_response_coverage", columns,
                          f"select {', '.join(columns)} from main.mart_response_coverage order by hour_of_week",
                          needs_steps=("first_response",), one_row_per=("hour_of_week",))
    section.blocks.append(coverage if isinstance(coverage, Absent) else _coverage_chart(coverage))
    return section


def _adjusted_sentence(row: dict) -> str:
    crude, adjusted = row["crude_rate_ratio"], row["adjusted_rate_ratio"]
    if crude is None or adjusted is None:
        return f"{row['comparison']}: no ratio (one side has no FMOT)."
    return (f"{row['comparison']}: {crude:.1f}× as often as it stands, {adjusted:.1f}× within the same lead source "
            f"and arrival time (95 % interval {row['adjusted_rate_ratio_ci95_lower']:.1f}–"
            f"{row['adjusted_rate_ratio_ci95_upper']:.1f}).")


def _crude_against_adjusted_chart(rows: Rows) -> dict:
    long = [{"comparison": r["comparison"], "measure": measure, "ratio": r[f"{key}_rate_ratio"],
             "lower": r[f"{key}_rate_ratio_ci95_lower"], "upper": r[f"{key}_rate_ratio_ci95_upper"]}
            for r in rows for measure, key in (("as it stands (crude)", "crude"), ("same lead mix (adjusted)", "adjusted"))
            if r[f"{key}_rate_ratio"] is not None]
    base = alt.Chart(alt.Data(values=long)).encode(
        y=alt.Y("comparison:N", title=None, sort=[r["comparison"] for r in rows]),
        yOffset=alt.YOffset("measure:N"),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")))
    interval = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("lower:Q", title="FMOT rate ratio, within 1 h vs slower (log scale)", scale=alt.Scale(type="log")),
        x2="upper:Q")
    point = base.mark_point(filled=True, size=70).encode(
        x="ratio:Q",
        tooltip=[alt.Tooltip("comparison:N"), alt.Tooltip("measure:N"), alt.Tooltip("ratio:Q", format=".2f"),
                 alt.Tooltip("lower:Q", format=".2f", title="95 % CI from"),
                 alt.Tooltip("upper:Q", format=".2f", title="95 % CI to")])
    return (interval + point).properties(
        width=CHART_WIDTH, height=max(80, 50 * len(rows)),
        title="Speed to lead as it stands and with lead mix held fixed").to_dict()


def _opportunity_sentence(rows: Rows) -> str:
    fmots = sum(r["expected_additional_fmot"] for r in rows)
    slow = sum(r["slow_answered_leads"] for r in rows)
    sentence = (f"Answering the {slow:,} leads answered after an hour within it would have added about {fmots:,.0f} "
                "first meaningful engagements")
    wins = [r["expected_additional_wins"] for r in rows]
    if all(w is not None for w in wins):
        sentence += f", {sum(wins):,.0f} won deals"
        revenue = [r["expected_additional_revenue"] for r in rows]
        if all(v is not None for v in revenue):
            sentence += f" and {sum(revenue):,.0f} in revenue"
    return sentence + " (at each lead's stratum rate for answers within the hour)."


def _opportunity_chart(rows: Rows) -> dict:
    return alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        # one band per week (a time axis would draw each week as a hairline)
        x=alt.X("yearmonthdate(cohort_week):O", title="week of inquiry", axis=alt.Axis(format="%d %b", labelAngle=-45)),
        y=alt.Y("expected_additional_fmot:Q", title="additional FMOTs", stack=True),
        color=alt.Color("team:N", title="team", legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("team:N"), alt.Tooltip("cohort_week:T", title="week", format="%Y-%m-%d"),
                 alt.Tooltip("slow_answered_leads:Q", title="answered after 1 h"),
                 alt.Tooltip("expected_additional_fmot:Q", format=".1f", title="additional FMOTs"),
                 alt.Tooltip("expected_additional_wins:Q", format=".1f", title="additional wins")],
    ).properties(width=CHART_WIDTH, height=CHART_HEIGHT,
                 title="FMOTs lost to answers after an hour, by week and team").to_dict()


def _coverage_chart(rows: Rows) -> dict:
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("hour_of_week:Q", title="hour of the week (Mon 00h … Sun 23h, local)",
                axis=alt.Axis(values=list(range(0, 169, 24)), labelExpr="['Mon','Tue','Wed','Thu','Fri','Sat','Sun',''][datum.value / 24]"),
                scale=alt.Scale(domain=[0, 168])))
    leads = base.mark_bar(opacity=0.35).encode(
        y=alt.Y("leads:Q", title="leads arriving"),
        color=alt.Color("is_working_hour:N", title="staffed hour", legend=alt.Legend(orient="bottom")))
    share = base.mark_line(color="#e45756").encode(
        y=alt.Y("share_answered_within_1h:Q", title="answered within 1 h", axis=alt.Axis(format=PERCENT)),
        tooltip=[alt.Tooltip("hour_of_week_label:N", title="hour"), alt.Tooltip("leads:Q"),
                 alt.Tooltip("share_answered_within_1h:Q", format=".0%", title="within 1 h")])
    return alt.layer(leads, share).resolve_scale(y="independent").properties(
        width=CHART_WIDTH, height=CHART_HEIGHT, title="When leads arrive, and how many are answered within the hour").to_dict()

def funnel(marts: PublishedMarts) -> Section:
    section = Section("Funnel", "How many prospects reach each moment, and how many move on to the next?")
    columns = ["stage_order", "stage", "stage_label", "branch", "prospects_reached", "conversion_from_previous",
               "share_of_leads"]
    rows = marts.rows("mart_funnel_stages", columns,
                      f"select {', '.join(columns)} from main.mart_funnel_stages order by branch, stage_order",
                      one_row_per=("branch", "stage_order"))
    if isinstance(rows, Absent):
        section.blocks.append(rows)
        return section
    for row in rows:
        parts = [f"{row['prospects_reached']:,}"]
        if row["share_of_leads"] is not None:
            parts.append(f"{_rate(row['share_of_leads'])} of leads")
        if row["conversion_from_previous"] is not None:
            parts.append(f"{_rate(row['conversion_from_previous'])} of previous")
        row["label"] = " · ".join(parts)
    colours = {"main": "#4c78a8", "referral": "#72b7b2"}
    # One panel per branch (vconcat, not a facet): the referral branch is a different population,
    # so its bars get their own stage axis and are never stacked onto or summed with the main one.
    panels = []
    for branch in ("main", "referral"):
        values = [r for r in rows if r["branch"] == branch]
        if not values:
            continue
        order = [r["stage_label"] for r in sorted(values, key=lambda r: r["stage_order"])]
        base = alt.Chart(alt.Data(values=values)).encode(y=alt.Y("stage_label:N", sort=order, title=None))
        bars = base.mark_bar(color=colours[branch]).encode(
            x=alt.X("prospects_reached:Q", title="prospects reached"),
            tooltip=[alt.Tooltip("stage_label:N", title="stage"), alt.Tooltip("branch:N"),
                     alt.Tooltip("prospects_reached:Q"),
                     alt.Tooltip("conversion_from_previous:Q", format=".1%", title="from previous stage"),
                     alt.Tooltip("share_of_leads:Q", format=".1%", title="share of leads")])
        labels = base.mark_text(align="left", dx=4, fontSize=11).encode(x="prospects_reached:Q", text="label:N")
        panels.append((bars + labels).properties(
            width=CHART_WIDTH - 260, height=28 * len(values),
            title=alt.TitleParams("main funnel" if branch == "main" else "referral branch", anchor="start",
                                  fontSize=12)))
    return _with(section, alt.vconcat(*panels).properties(
        title="Prospects reaching each stage (labels: share of leads · of the previous stage)").to_dict())


def time_to_moment(marts: PublishedMarts) -> Section:
    section = Section("Time to the next moment", "How long after the first inquiry do leads get an answer, an FMOT, a purchase?")
    columns = ["from_moment", "to_moment", "time_unit", "t", "share_reached"]
    kept, left_out = [], []
    for from_moment, to_moment in CURVE_PAIRS:
        rows = marts.rows(
            "mart_time_to_moment_curve", columns,
            f"""select from_moment || ' → ' || to_moment as pair, t, share_reached
                from main.mart_time_to_moment_curve
                where time_unit = 'day' and from_moment = ? and to_moment = ? and t <= ? order by t""",
            needs_steps=(from_moment, to_moment), params=[from_moment, to_moment, CURVE_DAYS], one_row_per=("t",))
        if isinstance(rows, Absent):
            left_out.append((f"{from_moment} → {to_moment}", rows))
        else:
            kept.append(rows)
    if not kept:
        section.blocks.append(left_out[0][1])
        return section
    section.blocks.extend(
        Note(f"No {pair} curve: " + (absent.reason if "cannot support" in absent.reason else "the table has no rows for it."))
        for pair, absent in left_out)
    values = [row for rows in kept for row in rows]
    pairs = [f"{a} → {b}" for a, b in CURVE_PAIRS]
    chart = alt.Chart(alt.Data(values=values)).mark_line(interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("t:Q", title="days since the first inquiry"),
        y=alt.Y("share_reached:Q", title="share reached (Kaplan–Meier)", axis=alt.Axis(format=PERCENT)),
        color=alt.Color("pair:N", sort=pairs, title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("pair:N"), alt.Tooltip("t:Q", title="day"),
                 alt.Tooltip("share_reached:Q", format=".1%", title="share reached")])
    return _with(section, chart.properties(
        width=CHART_WIDTH, height=CHART_HEIGHT,
        title=f"Share of leads that reached the moment within {CURVE_DAYS} days, open leads censored").to_dict())


def engagement_quality(marts: PublishedMarts) -> Section:
    section = Section("Quality of the first engagement",
                      "Which first responses destroy value, how often, and what do they cost in FMOT?")
    columns = ["pattern", "pattern_rate", "fmot_rate_with_pattern", "fmot_rate_without_pattern",
               "eligible_leads", "leads_with_pattern"]
    order_by = "pattern_order" if marts.has("mart_engagement_quality", "pattern_order") else "pattern"
    rows = marts.rows("mart_engagement_quality", columns,
                      f"select {', '.join(columns)} from main.mart_engagement_quality order by {order_by}",
                      needs_steps=("first_response", "fmot"), one_row_per=("pattern",))
    if isinstance(rows, Absent):
        section.blocks.append(rows)
        return section
    for row in rows:
        row["label"] = (f"{row['pattern'].replace('_', ' ')} "
                        f"({_rate(row['pattern_rate'])} of {row['eligible_leads']:,})")
    order = [r["label"] for r in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=300)))
    gap = base.mark_rule(color="#999", strokeWidth=2).encode(
        x=alt.X("fmot_rate_without_pattern:Q", title="FMOT rate", axis=alt.Axis(format=PERCENT)),
        x2="fmot_rate_with_pattern:Q")
    points = base.transform_fold(
        ["fmot_rate_with_pattern", "fmot_rate_without_pattern"], as_=["group", "rate"]
    ).transform_calculate(
        group="datum.group == 'fmot_rate_with_pattern' ? 'with the pattern' : 'without it'"
    ).mark_point(filled=True, size=90).encode(
        x="rate:Q",
        color=alt.Color("group:N", scale=alt.Scale(domain=["with the pattern", "without it"],
                                                   range=["#e45756", "#54a24b"]),
                        title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("label:N", title="pattern"), alt.Tooltip("group:N"),
                 alt.Tooltip("rate:Q", format=".1%", title="FMOT rate"),
                 alt.Tooltip("leads_with_pattern:Q", title="leads with the pattern")])
    return _with(section, (gap + points).properties(
        width=CHART_WIDTH - 160, height=max(120, 36 * len(rows)),
        title="FMOT rate with and without each pattern (share of eligible leads in brackets)").to_dict())


def team_efficiency(marts: PublishedMarts) -> Section:
    section = Section("Team efficiency", "How many outreach hours does each team spend per good lead, month by month?")
    columns = ["team", "month_start", "outreach_hours", "good_leads", "hours_per_good_lead"]
    rows = marts.rows(
        "mart_team_efficiency_monthly", columns,
        """select coalesce(team, '(no team)') as team, month_start as month, outreach_hours, good_leads,
                  hours_per_good_lead
           from main.mart_team_efficiency_monthly where hours_per_good_lead is not null order by team, month""",
        one_row_per=("team", "month"))
    if isinstance(rows, Absent):
        section.blocks.append(rows)
        return section
    chart = alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
        x=alt.X("month:T", title="month", scale=alt.Scale(type="utc"), axis=MONTH_AXIS),
        y=alt.Y("hours_per_good_lead:Q", title="outreach hours per good lead"),
        color=alt.Color("team:N", title="team", legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("team:N"), alt.Tooltip("month:N", title="month"),
                 alt.Tooltip("outreach_hours:Q", format=",.1f", title="outreach hours"),
                 alt.Tooltip("good_leads:Q", title="good leads"),
                 alt.Tooltip("hours_per_good_lead:Q", format=",.1f", title="hours per good lead")])
    return _with(section, chart.properties(width=CHART_WIDTH, height=CHART_HEIGHT,
                                           title="Hours per good lead (lower is better)").to_dict())


def experience_and_advocacy(marts: PublishedMarts) -> Section:
    section = Section("Experience and advocacy", "Are customers happy after buying, and do promoters review and refer?")
    columns = ["survey_month", "survey_type", "nps_responses", "promoters", "detractors", "nps"]
    nps = marts.rows(
        "mart_survey_scores_monthly", columns,
        f"""select {', '.join(columns)} from main.mart_survey_scores_monthly
            where nps_responses > 0 and nps is not null order by survey_type, survey_month""",
        one_row_per=("survey_type", "survey_month"))
    if isinstance(nps, Absent):
        section.blocks.append(nps)
    else:
        section.blocks.append(alt.Chart(alt.Data(values=nps)).mark_line(point=True).encode(
            x=alt.X("survey_month:T", title="month", scale=alt.Scale(type="utc"), axis=MONTH_AXIS),
            y=alt.Y("nps:Q", title="NPS", scale=alt.Scale(domain=[-100, 100])),
            color=alt.Color("survey_type:N", title="survey", legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("survey_month:N", title="month"), alt.Tooltip("survey_type:N", title="survey"),
                     alt.Tooltip("nps:Q", format=".0f", title="NPS"),
                     alt.Tooltip("nps_responses:Q", title="answers"), alt.Tooltip("promoters:Q"),
                     alt.Tooltip("detractors:Q")],
        ).properties(width=CHART_WIDTH, height=CHART_HEIGHT - 40, title="NPS by month (-100 to 100)").to_dict())

    columns = ["nps_category", "has_reached_umot", "referred_prospects", "referred_zmots"]
    # An unsupported umot leaves has_reached_umot NULL for every customer: the share stays NULL
    # (no bar), not 0 %.
    loop = marts.rows(
        "mart_experience_advocacy", columns,
        """select coalesce(nps_category, 'no answer') as nps_category,
                  count(*) as customers,
                  count(*) filter (where has_reached_umot) * 1.0 / nullif(count(has_reached_umot), 0) as review_share,
                  sum(referred_prospects) as referred_prospects,
                  sum(referred_zmots) as referred_zmots
           from main.mart_experience_advocacy group by 1""")
    if isinstance(loop, Absent):
        section.blocks.append(loop)
        return section
    order = ["promoter", "passive", "detractor", "no answer"]
    base = alt.Chart(alt.Data(values=loop)).encode(
        x=alt.X("nps_category:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        tooltip=[alt.Tooltip("nps_category:N", title="NPS category"), alt.Tooltip("customers:Q"),
                 alt.Tooltip("review_share:Q", format=".1%", title="left a public review"),
                 alt.Tooltip("referred_prospects:Q", title="prospects referred"),
                 alt.Tooltip("referred_zmots:Q", title="referred prospects who inquired")])
    panels = []
    if any(r["review_share"] is not None for r in loop):
        panels.append(base.mark_bar(color="#54a24b").encode(
            y=alt.Y("review_share:Q", title="customers who left a public review", axis=alt.Axis(format=PERCENT))
        ).properties(width=210, height=CHART_HEIGHT - 60, title="Reviews (umot)"))
    else:
        section.blocks.append(Note("No public-review figure: the data cannot tell which customers left a review."))
    panels.append(base.mark_bar(color="#f58518").encode(
        y=alt.Y("referred_zmots:Q", title="referred prospects who inquired")
    ).properties(width=210, height=CHART_HEIGHT - 60, title="Referrals that became leads"))
    return _with(section, alt.hconcat(*panels).properties(
        title="The advocacy loop by NPS category (customers)").to_dict())


def reputation(marts: PublishedMarts) -> Section:
    section = Section("Reputation", "What public rating did prospects see when they inquired, and did they convert "
                                    "differently? Do unhappy customers leave negative reviews?")
    columns = ["review_month", "reviews", "average_rating", "negative_review_share", "running_rating_at_month_end",
               "zmots_in_following_weeks", "is_all_platforms"]
    months = marts.rows(
        "mart_reputation", columns,
        f"""select {', '.join(columns[:-1])} from main.mart_reputation where is_all_platforms order by review_month""",
        one_row_per=("review_month",))
    if isinstance(months, Absent):
        section.blocks.append(months)
    else:
        base = alt.Chart(alt.Data(values=months)).encode(
            x=alt.X("review_month:T", title="month", scale=alt.Scale(type="utc"), axis=MONTH_AXIS),
            tooltip=[alt.Tooltip("review_month:T", format="%b %Y", title="month"), alt.Tooltip("reviews:Q"),
                     alt.Tooltip("average_rating:Q", format=".2f", title="average of the month"),
                     alt.Tooltip("negative_review_share:Q", format=".1%", title="negative"),
                     alt.Tooltip("running_rating_at_month_end:Q", format=".2f", title="public rating at month end"),
                     alt.Tooltip("zmots_in_following_weeks:Q", title="inquiries in the 4 weeks after")])
        running = base.mark_line(point=True, color="#4c78a8").encode(
            y=alt.Y("running_rating_at_month_end:Q", title="public rating (stars)", scale=alt.Scale(domain=[1, 5])))
        monthly = base.mark_bar(opacity=0.35, color="#72b7b2").encode(y="average_rating:Q")
        section.blocks.append((monthly + running).properties(
            width=CHART_WIDTH, height=CHART_HEIGHT - 40,
            title="Public rating at month end (line) and the month's own average (bars)").to_dict())

    columns = ["rating_band", "band_order", "leads", "fmot_rate", "fmot_rate_lower", "fmot_rate_upper",
               "leads_with_full_window", "purchase_rate_within_window", "purchase_rate_within_window_lower",
               "purchase_rate_within_window_upper"]
    bands = marts.rows(
        "mart_conversion_by_rating_band", columns,
        f"""select {', '.join(columns)} from main.mart_conversion_by_rating_band
            where rating_band is not null and leads > 0 order by band_order""",
        needs_steps=("zmot",), one_row_per=("rating_band",))
    if isinstance(bands, Absent):
        section.blocks.append(bands)
    else:
        long = [{"rating_band": r["rating_band"], "outcome": outcome, "leads": n, "rate": r[rate],
                 "lower": r[f"{rate}_lower"], "upper": r[f"{rate}_upper"]}
                for r in bands
                for outcome, rate, n in (("FMOT", "fmot_rate", r["leads"]),
                                         ("purchase within window", "purchase_rate_within_window",
                                          r["leads_with_full_window"]))
                if r[rate] is not None]
        order = [r["rating_band"] for r in bands]
        panels = []
        for outcome in dict.fromkeys(r["outcome"] for r in long):
            base = alt.Chart(alt.Data(values=[r for r in long if r["outcome"] == outcome])).encode(
                x=alt.X("rating_band:N", sort=order, title="public rating at inquiry", axis=alt.Axis(labelAngle=0)),
                tooltip=[alt.Tooltip("rating_band:N", title="rating band"), alt.Tooltip("outcome:N"),
                         alt.Tooltip("leads:Q"), alt.Tooltip("rate:Q", format=".1%"),
                         alt.Tooltip("lower:Q", format=".1%", title="95 % CI from"),
                         alt.Tooltip("upper:Q", format=".1%", title="95 % CI to")])
            panels.append((base.mark_bar(color="#54a24b").encode(
                y=alt.Y("rate:Q", title=f"leads reaching {outcome}", axis=alt.Axis(format=PERCENT)))
                + base.mark_rule(color="#222", strokeWidth=1.5).encode(y="lower:Q", y2="upper:Q")
            ).properties(width=210, height=CHART_HEIGHT - 60, title=outcome))
        section.blocks.append(alt.hconcat(*panels).properties(
            title="Conversion by the public rating seen at inquiry, 95 % interval (lines)").to_dict())

    columns = ["nps_category", "customers", "reviewers", "negative_reviewers", "negative_review_rate",
               "negative_review_rate_lower", "negative_review_rate_upper", "review_rate"]
    loop = marts.rows("mart_review_loop", columns,
                      f"select {', '.join(columns)} from main.mart_review_loop where nps_category is not null",
                      one_row_per=("nps_category",))
    if isinstance(loop, Absent):
        section.blocks.append(loop)
    else:
        for row in sorted(loop, key=lambda r: ["promoter", "passive", "detractor"].index(r["nps_category"])
                          if r["nps_category"] in ("promoter", "passive", "detractor") else 3):
            if row["reviewers"] is None:
                section.blocks.append(Note(f"{row['nps_category']}s: no review figure, the data cannot tell which "
                                           "customers left a review."))
                break
            section.blocks.append(Note(
                f"{row['nps_category'].capitalize()}s: {row['customers']:,} customers, {_rate(row['review_rate'])} "
                f"published a review, {_rate(row['negative_review_rate'])} a negative one (95 % interval "
                f"{_rate(row['negative_review_rate_lower'])}–{_rate(row['negative_review_rate_upper'])})."))
    return section


def open_leads(marts: PublishedMarts) -> Section:
    section = Section("Open leads", "Which leads are still waiting for a first meaningful response, and how many breach the SLA?")
    columns = ["team", "age_hours", "is_sla_breached"]
    rows = marts.rows(
        "mart_open_leads", columns,
        """select coalesce(team, '(no team)') as team, count(*) as open_leads,
                  count(*) filter (where is_sla_breached) as "past the SLA",
                  count(*) filter (where not is_sla_breached) as "within the SLA",
                  count(*) filter (where is_sla_breached is null) as "SLA unknown",
                  median(age_hours) as median_age_hours, max(age_hours) as oldest_hours
           from main.mart_open_leads group by 1 order by 1""",
        needs_steps=("first_response", "fmot"))
    if isinstance(rows, Absent):
        section.blocks.append(rows)
        return section
    total, breached = sum(r["open_leads"] for r in rows), sum(r["past the SLA"] for r in rows)
    oldest = max((r["oldest_hours"] for r in rows if r["oldest_hours"] is not None), default=None)
    section.blocks.append(Note(
        f"{total:,} open leads, {breached:,} past the first-response SLA"
        + ("" if oldest is None else f"; the oldest has waited {oldest / 24:.1f} days") + "."))
    status = ["past the SLA", "within the SLA", "SLA unknown"]
    chart = alt.Chart(alt.Data(values=rows)).transform_fold(status, as_=["status", "leads"]).transform_filter(
        "datum.leads > 0").mark_bar().encode(
        x=alt.X("team:N", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("leads:Q", title="open leads"),
        color=alt.Color("status:N", title=None, sort=status, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=status, range=["#e45756", "#4c78a8", "#bab0ac"])),
        tooltip=[alt.Tooltip("team:N"), alt.Tooltip("status:N"), alt.Tooltip("leads:Q"),
                 alt.Tooltip("median_age_hours:Q", format=",.1f", title="median age (h)")])
    return _with(section, chart.properties(width=CHART_WIDTH, height=CHART_HEIGHT,
                                           title="Open leads by team and SLA status").to_dict())


def coverage(marts: PublishedMarts) -> Section:
    section = Section("What the data covers", "Which sources and journey steps this build could measure, and why not where it could not.")
    columns = ["coverage_kind", "coverage_item", "is_supported", "reason", "row_count"]
    order_by = "coverage_kind, item_order" if marts.has("mart_coverage", "item_order") else "coverage_kind, coverage_item"
    rows = marts.rows("mart_coverage", columns,
                      f"select {', '.join(columns)} from main.mart_coverage order by {order_by}")
    if isinstance(rows, Absent):
        section.blocks.append(rows)
        return section
    section.blocks.append(Table(
        ["kind", "item", "supported", "rows", "why not"],
        [[r["coverage_kind"].replace("_", " "), r["coverage_item"], "yes" if r["is_supported"] else "no",
          f"{r['row_count']:,}" if r["row_count"] is not None else "", r["reason"] or ""] for r in rows]))
    return section


def _with(section: Section, spec: dict) -> Section:
    section.blocks.append(spec)
    return section


def _rate(value) -> str:
    return "n/a" if value is None else f"{value:.0%}" if value >= 0.1 else f"{value:.1%}"
