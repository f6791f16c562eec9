{#- Team efficiency per team and month, summed from the rep-days (never by averaging weekly
    ratios, which weighs a quiet week like a busy one): outreach hours and good leads beside hours
    per good lead, decided and won deals beside the proposal and win rates. A measure whose source
    had no rows stays NULL (mart_coverage). -#}
with

rep_days as (

    select * from {{ ref('int_rep_outcomes_daily') }}

),

team_months as (

    select
        team,
        cast({{ dbt.date_trunc('month', 'activity_day') }} as date) as month_start,
        count(distinct owner_id) as reps,
        sum(outreach_hours) as outreach_hours,
        sum(good_leads) as good_leads,
        sum(decided_deals) as decided_deals,
        sum(decided_deals_after_proposal) as decided_deals_after_proposal,
        sum(won_deals) as won_deals,
        sum(won_deals_after_proposal) as won_deals_after_proposal
    from rep_days
    group by team, cast({{ dbt.date_trunc('month', 'activity_day') }} as date)

),

final as (

    select
        -- strings
        cast(team as {{ dbt.type_string() }}) as team,

        -- numerics
        cast(reps as {{ dbt.type_bigint() }}) as reps,
        {{ team_efficiency_measures() }}

        -- dates
        cast(month_start as date) as month_start

    from team_months

)

select * from final
