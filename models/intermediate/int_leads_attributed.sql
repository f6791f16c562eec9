{#- One row per lead with everything the marts slice by: source, the channel the prospect asked
    for, the owning rep's team, weekly and monthly cohorts, the traits of the first response and
    when each later moment was reached (with the precision the export gave it). Reads one layer
    down (staging and intermediate models), so marts can share it without reading each other.
    A dimension the data lacks stays NULL: it is never merged into a real value such as 'unknown'. -#}
with

leads as (

    select * from {{ ref('int_lead_responses_measured') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

inquiries as (

    select * from {{ ref('int_inquiries_unioned') }}

),

moments as (

    select * from {{ ref('int_moments_unioned') }}

),

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

engagements as (

    select * from {{ ref('int_engagements_classified') }}

),

-- what the prospect asked for on the web form, the first time they said
requested_methods_ranked as (

    select
        prospect_id,
        requested_contact_method,
        row_number() over (
            partition by prospect_id
            order by inquired_at, inquiry_id
        ) as request_rank
    from inquiries
    where requested_contact_method is not null

),

requested_methods as (

    select
        prospect_id,
        requested_contact_method
    from requested_methods_ranked
    where request_rank = 1

),

later_moments as (

    select
        prospect_id,
        {% for moment in ['purchase', 'smot', 'umot', 'rmot'] -%}
        max(case when moment = '{{ moment }}' then reached_at end) as {{ moment }}_at,
        max(case when moment = '{{ moment }}' then reached_at_precision end) as {{ moment }}_at_precision{% if not loop.last %},{% endif %}
        {% endfor %}
    from moments
    where moment in ('purchase', 'smot', 'umot', 'rmot')
    group by prospect_id

),

final as (

    select
        -- ids
        leads.prospect_id,
        leads.contact_id,
        leads.owner_id,
        leads.first_response_owner_id,
        leads.first_response_engagement_id,
        case
            when contacts.referred_by_contact_id is not null
                then {{ surrogate_key(['contacts.referred_by_contact_id']) }}
        end as referred_by_prospect_id,

        -- strings
        contacts.lead_source,
        requested_methods.requested_contact_method,
        contacts.preferred_contact_method,
        -- the web form's answer wins; offline leads only have the CRM's preferred method
        coalesce(requested_methods.requested_contact_method, contacts.preferred_contact_method)
            as requested_channel,
        leads.zmot_channel,
        owner_reps.team,
        leads.first_response_engagement_type,
        leads.first_response_engagement_class,
        leads.response_time_bucket,
        leads.zmot_at_precision,
        leads.first_response_at_precision,
        leads.fmot_at_precision,
        later_moments.purchase_at_precision,
        later_moments.smot_at_precision,
        later_moments.umot_at_precision,
        later_moments.rmot_at_precision,

        -- numerics
        leads.bucket_order,
        leads.response_seconds,

        -- booleans
        leads.has_response_attempt,
        leads.has_reached_fmot,
        leads.is_response_day_precise,
        coalesce(first_responders.is_qualified, false) as is_first_responder_qualified,
        coalesce(first_responses.is_templated, false) as is_first_response_templated,

        -- dates
        cast({{ dbt.date_trunc('week', 'leads.zmot_at') }} as date) as cohort_week,
        cast({{ dbt.date_trunc('month', 'leads.zmot_at') }} as date) as cohort_month,

        -- timestamps
        leads.zmot_at,
        leads.first_response_at,
        leads.fmot_at,
        later_moments.purchase_at,
        later_moments.smot_at,
        later_moments.umot_at,
        later_moments.rmot_at

    from leads
    left join contacts
        on leads.contact_id = contacts.contact_id
    left join requested_methods
        on leads.prospect_id = requested_methods.prospect_id
    left join later_moments
        on leads.prospect_id = later_moments.prospect_id
    left join owners as owner_reps
        on leads.owner_id = owner_reps.owner_id
    left join owners as first_responders
        on leads.first_response_owner_id = first_responders.owner_id
    left join engagements as first_responses
        on leads.first_response_engagement_id = first_responses.engagement_id

)

select * from final
