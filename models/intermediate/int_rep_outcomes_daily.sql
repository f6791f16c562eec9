{#- One row per rep (CRM owner) and day with any outreach hours, good leads or decided deals: the
    additive counts that mart_team_efficiency sums by week and mart_team_efficiency_monthly by
    month. Hours count on the day logged, good leads on the day fmot was reached, deals on the day
    they were decided (won or lost). A measure whose source had no rows is NULL, not 0: no time
    logs is not zero hours (mart_coverage). -#}
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

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

measures_supported as (

    select
        (select count(*) from time_logs) > 0 as has_time_logs,
        (select count(*) from supported where moment = 'fmot' and is_supported) > 0 as has_fmot,
        (select count(*) from deals) > 0 as has_deals

),

outreach_hours as (

    select
        owner_id,
        logged_on as activity_day,
        sum(hours) as outreach_hours
    from time_logs
    where activity in ({{ sql_list(var('outreach_time_log_activities')) }})
    group by owner_id, logged_on

),

good_leads as (

    select
        owner_id,
        cast(fmot_at as date) as activity_day,
        count(*) as good_leads
    from leads
    where has_reached_fmot
    group by owner_id, cast(fmot_at as date)

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
        cast(deals.closed_at as date) as activity_day
    from deals
    left join deals_with_proposal
        on deals.deal_id = deals_with_proposal.deal_id
    where
        deals.closed_at is not null
        and (deals.is_won or deals.stage_meaning = 'lost')

),

deal_outcomes as (

    select
        owner_id,
        activity_day,
        count(*) as decided_deals,
        sum(case when had_proposal then 1 else 0 end) as decided_deals_after_proposal,
        sum(case when is_won then 1 else 0 end) as won_deals,
        sum(case when is_won and had_proposal then 1 else 0 end) as won_deals_after_proposal
    from decided_deals
    group by owner_id, activity_day

),

rep_days as (

    select owner_id, activity_day from outreach_hours
    union
    select owner_id, activity_day from good_leads
    union
    select owner_id, activity_day from deal_outcomes

),

final as (

    select
        -- ids
        rep_days.owner_id,

        -- strings
        owners.team,

        -- numerics
        case when measures_supported.has_time_logs then coalesce(outreach_hours.outreach_hours, 0) end
            as outreach_hours,
        case when measures_supported.has_fmot then coalesce(good_leads.good_leads, 0) end as good_leads,
        {% for column in ['decided_deals', 'decided_deals_after_proposal', 'won_deals', 'won_deals_after_proposal'] -%}
        case when measures_supported.has_deals then coalesce(deal_outcomes.{{ column }}, 0) end as {{ column }},
        {% endfor %}

        -- dates
        rep_days.activity_day

    from rep_days
    cross join measures_supported
    left join owners
        on rep_days.owner_id = owners.owner_id
    left join outreach_hours
        on
            {{ null_safe_equals('rep_days.owner_id', 'outreach_hours.owner_id') }}
            and rep_days.activity_day = outreach_hours.activity_day
    left join good_leads
        on
            {{ null_safe_equals('rep_days.owner_id', 'good_leads.owner_id') }}
            and rep_days.activity_day = good_leads.activity_day
    left join deal_outcomes
        on
            {{ null_safe_equals('rep_days.owner_id', 'deal_outcomes.owner_id') }}
            and rep_days.activity_day = deal_outcomes.activity_day

)

select * from final
