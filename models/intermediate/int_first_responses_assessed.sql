{#- One row per answered lead: which value-destroying pattern (DESIGN.md) its first response
    shows. Subject fragments for deferrals and re-asking come from vars: CRM exports carry no
    intent field, so the subject line is the only trace of what the rep wrote. -#}
with

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

engagements as (

    select * from {{ ref('int_engagements_classified') }}

),

engagement_subjects as (

    select * from {{ ref('stg_crm__engagements') }}

),

first_responses as (

    select
        leads.*,
        lower(coalesce(engagement_subjects.subject, '')) as first_response_subject
    from leads
    left join engagement_subjects
        on leads.first_response_engagement_id = engagement_subjects.engagement_id
    where leads.has_response_attempt

),

-- any later response attempt within the follow-up window counts as following the deferral up
follow_ups as (

    select distinct first_responses.prospect_id
    from first_responses
    inner join engagements
        on
            first_responses.prospect_id = engagements.prospect_id
            and engagements.is_response_attempt
            and first_responses.first_response_engagement_id != engagements.engagement_id
            and first_responses.first_response_at <= engagements.occurred_at
            and {{ dbt.dateadd('day', var('deferral_follow_up_days'), 'first_responses.first_response_at') }}
            >= engagements.occurred_at

),

final as (

    select
        first_responses.prospect_id,
        first_responses.has_reached_fmot,
        first_responses.requested_channel,
        first_responses.requested_channel = 'phone' as is_call_requested,
        first_responses.requested_channel = 'phone'
        and first_responses.first_response_engagement_type = 'EMAIL' as is_email_when_call_requested,
        not first_responses.is_first_responder_qualified as is_responder_unqualified,
        first_responses.is_first_response_templated as is_templated_first_reply,
        (
            {% for pattern in var('deferral_subject_patterns') -%}
            first_responses.first_response_subject like '%{{ pattern }}%'
            {%- if not loop.last %} or {% endif %}
            {% endfor -%}
        )
        and follow_ups.prospect_id is null as is_deferral_without_follow_up,
        (
            {% for pattern in var('asked_again_subject_patterns') -%}
            first_responses.first_response_subject like '%{{ pattern }}%'
            {%- if not loop.last %} or {% endif %}
            {% endfor -%}
        ) as is_asked_again_for_form_data
    from first_responses
    left join follow_ups
        on first_responses.prospect_id = follow_ups.prospect_id

)

select * from final
