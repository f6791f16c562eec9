{#- One row per web session (int_web_events_sessionized). Traffic source, medium and campaign
    are the session's first event's, as GA4 attributes a session. The identifiers a session
    carried (user_id, hashed e-mail) are kept so stitching reads sessions, not events. -#}
with

sessionized_events as (

    select * from {{ ref('int_web_events_sessionized') }}

),

summarized as (

    select
        session_id,
        user_pseudo_id,
        visitor_session_number,
        -- exactly one event per session is its start, so max() picks that event's value
        max(case when is_session_start then event_id end) as first_event_id,
        max(case when is_session_start then traffic_source end) as session_source,
        max(case when is_session_start then traffic_medium end) as session_medium,
        max(case when is_session_start then traffic_campaign end) as session_campaign,
        max(case when is_session_start then device_category end) as device_category,
        -- a session that carried two different ids (a shared computer) keeps the smallest
        min(user_id) as user_id,
        min(email_sha256) as email_sha256,
        count(*) as event_count,
        sum(case when event_name in ({{ sql_list(var('zmot_web_event_names')) }}) then 1 else 0 end)
            as lead_form_event_count,
        min(event_at) as session_started_at,
        max(event_at) as session_ended_at,
        min(case when user_id is not null or email_sha256 is not null then event_at end) as identified_at,
        min(case when event_name in ({{ sql_list(var('zmot_web_event_names')) }}) then event_at end)
            as first_lead_form_at
    from sessionized_events
    group by session_id, user_pseudo_id, visitor_session_number

),

final as (

    select
        -- ids
        session_id,
        user_pseudo_id,
        first_event_id,
        user_id,
        email_sha256,

        -- strings
        session_source,
        session_medium,
        session_campaign,
        device_category,

        -- numerics
        visitor_session_number,
        event_count,
        lead_form_event_count,

        -- booleans
        coalesce(session_medium in ({{ sql_list(var('stimulus_traffic_mediums')) }}), false)
            as is_campaign_session,

        -- timestamps
        session_started_at,
        session_ended_at,
        identified_at,
        first_lead_form_at

    from summarized

)

select * from final
