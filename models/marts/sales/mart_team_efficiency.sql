{#- Team efficiency per team, rep and week: outreach hours, good leads (leads that reached fmot),
    hours per good lead, and the proposal (invitation-to-tender) and win rates of decided deals.
    Hours are counted in the week they were logged, good leads in the week fmot was reached, deals
    in the week they were decided; sum the counts (not the rates) to roll weeks or reps up. -#}
with

time_logs as (

    select * from {{ ref('stg_crm__time_logs') }}

),

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

deal_stages as (

    select * from {{ ref('stg_crm__deal_stages') }}

),

reps as (

    select * from {{ ref('stg_crm__owners') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

-- a measure whose source had no rows is NULL, not 0: no time logs is not zero hours
measures_supported as (

    select
        (select count(*) from time_logs) > 0 as has_time_logs,
        (select count(*) from supported where moment = 'fmot' and is_supported) > 0 as has_fmot,
        (select count(*) from deals) > 0 as has_deals

),

outreach_hours as (

    select
        owner_id,
        cast({{ dbt.date_trunc('week', 'logged_on') }} as date) as week_start,
        sum(hours) as outreach_hours
    from time_logs
    where activity in ({{ sql_list(var('outreach_time_log_activities')) }})
    group by 1, 2

),

good_leads as (

    select
        owner_id,
        cast({{ dbt.date_trunc('week', 'fmot_at') }} as date) as week_start,
        count(*) as good_leads
    from leads
    where has_reached_fmot
    group by 1, 2

),

deals_with_proposal as (

    select distinct deal_id
    from deal_stages
    where stage_meaning = 'proposal'

),

-- a deal counts once it is decided (won or lost); open deals wait for their outcome
decided_deals as (

    select
        deals.deal_id,
        deals.owner_id,
        deals.is_won,
        deals_with_proposal.deal_id is not null as had_proposal,
        cast({{ dbt.date_trunc('week', 'deals.closed_at') }} as date) as week_start
    from deals
    left join deals_with_proposal
        on deals.deal_id = deals_with_proposal.deal_id
    where
        deals.closed_at is not null
        and (
            deals.is_won
            or deals.stage_meaning = 'lost'
        )

),

deal_outcomes as (

    select
        owner_id,
        week_start,
        count(*) as decided_deals,
        sum(case when had_proposal then 1 else 0 end) as decided_deals_after_proposal,
        sum(case when is_won then 1 else 0 end) as won_deals,
        sum(case when is_won and had_proposal then 1 else 0 end) as won_deals_after_proposal
    from decided_deals
    group by 1, 2

),

rep_weeks as (

    select
        owner_id,
        week_start
    from outreach_hours
    union
    select
        owner_id,
        week_start
    from good_leads
    union
    select
        owner_id,
        week_start
    from deal_outcomes

),

final as (

    select
        -- ids
        cast(rep_weeks.owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings
        cast(reps.team as {{ dbt.type_string() }}) as team,

        -- numerics
        cast(
            case when measures_supported.has_time_logs then coalesce(outreach_hours.outreach_hours, 0) end
            as {{ type_double() }}
        ) as outreach_hours,
        cast(
            case when measures_supported.has_fmot then coalesce(good_leads.good_leads, 0) end
            as {{ dbt.type_bigint() }}
        ) as good_leads,
        cast(
            outreach_hours.outreach_hours / nullif(good_leads.good_leads, 0) as {{ type_double() }}
        ) as hours_per_good_lead,
        {% for column in ['decided_deals', 'decided_deals_after_proposal', 'won_deals', 'won_deals_after_proposal'] -%}
        cast(
            case when measures_supported.has_deals then coalesce(deal_outcomes.{{ column }}, 0) end
            as {{ dbt.type_bigint() }}
        ) as {{ column }},
        {% endfor -%}
        cast(
            cast(deal_outcomes.decided_deals_after_proposal as {{ type_double() }})
            / nullif(deal_outcomes.decided_deals, 0) as {{ type_double() }}
        ) as proposal_rate,
        cast(
            cast(deal_outcomes.won_deals_after_proposal as {{ type_double() }})
            / nullif(deal_outcomes.decided_deals_after_proposal, 0) as {{ type_double() }}
        ) as win_rate,

        -- dates
        cast(rep_weeks.week_start as date) as week_start

    from rep_weeks
    cross join measures_supported
    left join reps
        on rep_weeks.owner_id = reps.owner_id
    left join outreach_hours
        on rep_weeks.owner_id = outreach_hours.owner_id and rep_weeks.week_start = outreach_hours.week_start
    left join good_leads
        on rep_weeks.owner_id = good_leads.owner_id and rep_weeks.week_start = good_leads.week_start
    left join deal_outcomes
        on rep_weeks.owner_id = deal_outcomes.owner_id and rep_weeks.week_start = deal_outcomes.week_start

)

select * from final
