{#- The CTEs that cut a visitor's events into sessions: a session ends after var
    session_inactivity_minutes without an event. `events` names a CTE of web events; the last
    CTE, sessions_numbered, holds each event with its visitor_session_number and is_session_start.
    The incremental session summary (int_web_sessions_summarized) runs it over the touched
    visitors' events only. -#}
{% macro web_sessions_numbered(events) -%}
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
        loaded_at,
        lag(event_at) over (
            partition by user_pseudo_id
            order by event_at, event_id
        ) as previous_event_at
    from {{ events }}

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

)
{%- endmacro %}
