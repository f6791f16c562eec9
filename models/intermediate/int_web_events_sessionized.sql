{#- Each web event with its session: a visitor's session ends after var
    session_inactivity_minutes without an event. A view read by one model only
    (int_web_sessions_summarized), so event-grain data is written once, in staging. -#}
{{ config(materialized='view') }}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

gaps_measured as (

    select
        event_id,
        user_pseudo_id,
        user_id,
        email_sha256,
        event_name,
        traffic_source,
        traffic_medium,
        traffic_campaign,
        device_category,
        event_at,
        lag(event_at) over (
            partition by user_pseudo_id
            order by event_at, event_id
        ) as previous_event_at
    from web_events

),

session_starts_flagged as (

    select
        *,
        case
            when previous_event_at is null then 1
            when {{ seconds_between('previous_event_at', 'event_at') }}
                > {{ var('session_inactivity_minutes') }} * 60 then 1
            else 0
        end as is_session_start
    from gaps_measured

),

sessions_numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by user_pseudo_id
            order by event_at, event_id
            rows between unbounded preceding and current row
        ) as visitor_session_number
    from session_starts_flagged

),

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
