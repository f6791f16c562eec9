{#- Each web event with its session: a visitor's session ends after var
    session_inactivity_minutes without an event. A view read by one model only
    (int_web_sessions_summarized), so event-grain data is written once, in staging. -#}
{{ config(materialized='view') }}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

{{ web_sessions_numbered('web_events') }},

final as (

    select
        -- ids
        event_id,
        {{ surrogate_key(['user_pseudo_id', 'visitor_session_number']) }} as session_id,
        user_pseudo_id,
        user_id,
        email_sha256,

        -- strings
        event_name,
        traffic_source,
        traffic_medium,
        traffic_campaign,
        device_category,

        -- numerics
        visitor_session_number,

        -- booleans
        is_session_start = 1 as is_session_start,

        -- timestamps
        event_at

    from sessions_numbered

)

select * from final
