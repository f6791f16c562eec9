{#- What speed is worth, per team and weekly zmot cohort: the fmots expected had every lead
    answered after one hour been answered within it, at the within-1-h fmot rate of its stratum
    (var speed_to_lead_strata, over all teams and weeks: the adjusted rate, not the crude one, since
    fast answers went to the leads that convert anyway), less the fmots those leads reached. The
    95 % interval adds the binomial variance of the observed fmots to that of the stratum rates
    (normal approximation). Wins and revenue follow from the team's wins per fmot and revenue per
    won lead; null where the data has no won deal or no amount. A slow lead whose stratum had no
    lead answered within the hour has no reference rate: counted in leads_without_reference, left
    out of the estimate. No rows without CRM activities (mart_coverage). -#}
{%- set z = 1.959963984540054 -%}
with

leads as (

    select * from {{ ref('int_leads_stratified') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

supported_leads as (

    select * from leads
    where exists (
        select 1 from supported
        where moment = 'first_response' and is_supported
    )

),

stratum_fast_rates as (

    select
        stratum_key,
        cast(count(*) as {{ type_double() }}) as fast_leads,
        cast(sum(case when has_reached_fmot then 1 else 0 end) as {{ type_double() }})
            / count(*) as fast_fmot_rate
    from supported_leads
    where is_answered_within_1h
    group by stratum_key

),

-- the yield of an fmot: wins per fmot and revenue per won lead, per team over the whole window
team_yields as (

    select
        team,
        case
            when sum(case when has_reached_fmot then 1 else 0 end) > 0
                then cast(sum(case when has_reached_fmot and has_reached_purchase then 1 else 0 end) as {{ type_double() }})
                / sum(case when has_reached_fmot then 1 else 0 end)
        end as wins_per_fmot,
        avg(case when has_reached_purchase then won_amount end) as revenue_per_win
    from supported_leads
    group by team

),

slow_cells as (

    select
        team,
        cohort_week,
        stratum_key,
        response_time_bucket,
        cast(count(*) as {{ type_double() }}) as slow_leads,
        cast(sum(case when has_reached_fmot then 1 else 0 end) as {{ type_double() }}) as slow_fmot
    from supported_leads
    where is_answered_after_1h
    group by team, cohort_week, stratum_key, response_time_bucket

),

slow_strata as (

    select
        team,
        cohort_week,
        stratum_key,
        sum(slow_leads) as slow_leads,
        sum(slow_fmot) as slow_fmot,
        -- binomial variance of the observed fmots, each slow bucket at its own rate
        sum(slow_fmot * (1 - slow_fmot / slow_leads)) as slow_fmot_variance
    from slow_cells
    group by team, cohort_week, stratum_key

),

slow_strata_valued as (

    select
        slow_strata.*,
        stratum_fast_rates.fast_fmot_rate is not null as has_reference,
        slow_strata.slow_leads * stratum_fast_rates.fast_fmot_rate as expected_fmot_within_1h,
        slow_strata.slow_fmot_variance
        + slow_strata.slow_leads * slow_strata.slow_leads * stratum_fast_rates.fast_fmot_rate
        * (1 - stratum_fast_rates.fast_fmot_rate) / stratum_fast_rates.fast_leads as gain_variance
    from slow_strata
    left join stratum_fast_rates
        on slow_strata.stratum_key = stratum_fast_rates.stratum_key

),

cells as (

    select
        team,
        cohort_week,
        sum(slow_leads) as slow_answered_leads,
        sum(slow_fmot) as slow_answered_fmot,
        sum(case when not has_reference then slow_leads else 0 end) as leads_without_reference,
        sum(case when has_reference then expected_fmot_within_1h else 0 end) as expected_fmot_within_1h,
        sum(case when has_reference then expected_fmot_within_1h - slow_fmot else 0 end)
            as expected_additional_fmot,
        sum(case when has_reference then gain_variance else 0 end) as gain_variance
    from slow_strata_valued
    group by team, cohort_week

),

-- every team and week with a lead, also those with nothing to gain (a real zero)
team_weeks as (

    select
        team,
        cohort_week,
        count(*) as leads
    from supported_leads
    group by team, cohort_week

),

estimated as (

    select
        team_weeks.team,
        team_weeks.cohort_week,
        team_weeks.leads,
        coalesce(cells.slow_answered_leads, 0) as slow_answered_leads,
        coalesce(cells.slow_answered_fmot, 0) as slow_answered_fmot,
        coalesce(cells.leads_without_reference, 0) as leads_without_reference,
        coalesce(cells.expected_fmot_within_1h, 0) as expected_fmot_within_1h,
        coalesce(cells.expected_additional_fmot, 0) as expected_additional_fmot,
        {{ z }} * sqrt(coalesce(cells.gain_variance, 0)) as half_width,
        team_yields.wins_per_fmot,
        team_yields.revenue_per_win
    from team_weeks
    left join cells
        on
            {{ null_safe_equals('team_weeks.team', 'cells.team') }}
            and team_weeks.cohort_week = cells.cohort_week
    left join team_yields
        on {{ null_safe_equals('team_weeks.team', 'team_yields.team') }}

),

final as (

    select
        -- strings
        team,

        -- numerics
        leads,
        cast(slow_answered_leads as {{ dbt.type_bigint() }}) as slow_answered_leads,
        cast(slow_answered_fmot as {{ dbt.type_bigint() }}) as slow_answered_leads_reached_fmot,
        cast(leads_without_reference as {{ dbt.type_bigint() }}) as leads_without_reference,
        expected_fmot_within_1h,
        expected_additional_fmot,
        expected_additional_fmot - half_width as expected_additional_fmot_ci95_lower,
        expected_additional_fmot + half_width as expected_additional_fmot_ci95_upper,
        wins_per_fmot,
        expected_additional_fmot * wins_per_fmot as expected_additional_wins,
        (expected_additional_fmot - half_width) * wins_per_fmot as expected_additional_wins_ci95_lower,
        (expected_additional_fmot + half_width) * wins_per_fmot as expected_additional_wins_ci95_upper,
        revenue_per_win,
        expected_additional_fmot * wins_per_fmot * revenue_per_win as expected_additional_revenue,
        (expected_additional_fmot - half_width) * wins_per_fmot * revenue_per_win
            as expected_additional_revenue_ci95_lower,
        (expected_additional_fmot + half_width) * wins_per_fmot * revenue_per_win
            as expected_additional_revenue_ci95_upper,

        -- dates
        cohort_week

    from estimated

)

select * from final
