{#- One row per lead with everything the BI marts slice by: source, the channel the prospect asked
    for, the owning rep's team, weekly and monthly cohorts, and the traits of the first response. -#}
with

leads as (

    select * from {{ ref('int_lead_responses_measured') }}

),

prospects as (

    select * from {{ ref('dim_prospects') }}

),

journeys as (

    select * from {{ ref('fct_prospect_journey') }}

),

reps as (

    select * from {{ ref('dim_reps') }}

),

engagements as (

    select * from {{ ref('int_engagements_classified') }}

),

final as (

    select
        -- ids
        leads.prospect_id,
        leads.owner_id,
        leads.first_response_owner_id,
        leads.first_response_engagement_id,
        prospects.referred_by_prospect_id,

        -- strings
        coalesce(prospects.lead_source, 'unknown') as lead_source,
        -- the web form's answer wins; offline leads only have the CRM's preferred method
        coalesce(
            prospects.requested_contact_method, prospects.preferred_contact_method, 'unknown'
        ) as requested_channel,
        coalesce(leads.zmot_channel, 'unknown') as zmot_channel,
        coalesce(owner_reps.team, 'unassigned') as team,
        leads.first_response_engagement_type,
        leads.first_response_engagement_class,
        leads.response_time_bucket,

        -- numerics
        leads.bucket_order,
        leads.response_seconds,

        -- booleans
        leads.has_response_attempt,
        leads.has_reached_fmot,
        coalesce(first_responders.is_qualified, false) as is_first_responder_qualified,
        coalesce(first_responses.is_templated, false) as is_first_response_templated,

        -- dates
        cast({{ dbt.date_trunc('week', 'leads.zmot_at') }} as date) as cohort_week,
        cast({{ dbt.date_trunc('month', 'leads.zmot_at') }} as date) as cohort_month,

        -- timestamps
        leads.zmot_at,
        leads.first_response_at,
        leads.fmot_at,
        journeys.purchase_at,
        journeys.smot_at,
        journeys.umot_at,
        journeys.rmot_at

    from leads
    left join prospects
        on leads.prospect_id = prospects.prospect_id
    left join journeys
        on leads.prospect_id = journeys.prospect_id
    left join reps as owner_reps
        on leads.owner_id = owner_reps.owner_id
    left join reps as first_responders
        on leads.first_response_owner_id = first_responders.owner_id
    left join engagements as first_responses
        on leads.first_response_engagement_id = first_responses.engagement_id

)

select * from final
