{#- Team efficiency per rep and week: outreach hours, good leads (leads that reached fmot),
    hours per good lead, and the proposal (invitation-to-tender) and win rates of decided deals.
    Hours are counted in the week they were logged, good leads in the week fmot was reached, deals
    in the week they were decided; sum the counts (not the rates) to roll weeks or reps up. A
    measure whose source had no rows is NULL (int_rep_outcomes_daily). -#}
with

rep_days as (

    select * from {{ ref('int_rep_outcomes_daily') }}

),

rep_weeks as (

    select
        owner_id,
        team,
        cast({{ dbt.date_trunc('week', 'activity_day') }} as date) as week_start,
        sum(outreach_hours) as outreach_hours,
        sum(good_leads) as good_leads,
        sum(decided_deals) as decided_deals,
        sum(decided_deals_after_proposal) as decided_deals_after_proposal,
        sum(won_deals) as won_deals,
        sum(won_deals_after_proposal) as won_deals_after_proposal
    from rep_days
    group by owner_id, team, cast({{ dbt.date_trunc('week', 'activity_day') }} as date)

),

final as (

    select
        -- ids
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings
        cast(team as {{ dbt.type_string() }}) as team,

        -- numerics
        {{ team_efficiency_measures() }}

        -- dates
        cast(week_start as date) as week_start

    from rep_weeks

)

select * from final
