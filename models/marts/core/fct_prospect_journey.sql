{#- Accumulating snapshot: one row per prospect, a timestamp per moment reached. -#}
with

prospects as (

    select * from {{ ref('dim_prospects') }}

),

moments as (

    select * from {{ ref('fct_prospect_moments') }}

),

leads as (

    select * from {{ ref('int_lead_responses_measured') }}

),

moments_pivoted as (

    select
        prospect_id,
        {% for moment in ['stimulus', 'zmot', 'fmot', 'purchase', 'smot', 'umot', 'rmot'] -%}
        max(case when moment = '{{ moment }}' then reached_at end) as {{ moment }}_at,
        {% endfor -%}
        max(moment_order) as furthest_moment_order
    from moments
    group by prospect_id

),

final as (

    select
        -- ids
        prospects.prospect_id,
        prospects.owner_id,
        leads.first_response_owner_id,
        leads.fmot_owner_id,

        -- strings
        prospects.lead_source,
        leads.zmot_channel,
        leads.first_response_engagement_type,
        leads.response_time_bucket,

        -- numerics
        leads.bucket_order,
        leads.response_seconds,
        moments_pivoted.furthest_moment_order,

        -- booleans
        coalesce(leads.has_response_attempt, false) as has_response_attempt,
        coalesce(leads.has_reached_fmot, false) as has_reached_fmot,

        -- dates
        prospects.cohort_month,

        -- timestamps
        moments_pivoted.stimulus_at,
        moments_pivoted.zmot_at,
        leads.first_response_at,
        moments_pivoted.fmot_at,
        moments_pivoted.purchase_at,
        moments_pivoted.smot_at,
        moments_pivoted.umot_at,
        moments_pivoted.rmot_at

    from prospects
    left join moments_pivoted
        on prospects.prospect_id = moments_pivoted.prospect_id
    left join leads
        on prospects.prospect_id = leads.prospect_id

)

select * from final
