{#- One row per web session, cut by the macro web_sessions_numbered (the one sessionization rule). Traffic
    source, medium and campaign are the session's first event's, as GA4 attributes a session. The
    identifiers a session carried (user_id, hashed e-mail) are kept so stitching reads sessions,
    not events.
    Incremental by visitor, as Snowplow's sessions lifecycle does it: a night re-cuts the sessions
    of the visitors its new, late, changed or deleted events touch, from all of their events, and
    replaces all their sessions (delete+insert on user_pseudo_id: a late event may merge two
    sessions or split one, renumbering the visitor's later sessions). Untouched visitors' sessions
    stay as they are. Spark (incremental_materialization): a table re-cut in full each night; a
    key-aware incremental there needs a Delta table (merge on session_id plus a delete of the
    visitors' vanished sessions). -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='user_pseudo_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    full_refresh=allow_full_refresh(),
    post_hook="{{ delete_sessions_of_vanished_visitors() }}",
) }}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

{% if is_incremental() -%}
-- new or changed events: loaded after the newest event these sessions were cut from
visitors_with_new_events as (

    select distinct user_pseudo_id
    from web_events
    where loaded_at > (select max(events_loaded_at) from {{ this }})

),

-- deleted events (a re-delivered file that lost rows) leave no row behind: a visitor whose
-- event count no longer matches its sessions' is re-cut (a count, not a sort, over the events)
visitors_with_other_counts as (

    select coalesce(events_counted.user_pseudo_id, sessions_counted.user_pseudo_id) as user_pseudo_id
    from (
        select user_pseudo_id, count(*) as event_count
        from web_events
        group by user_pseudo_id
    ) as events_counted
    full outer join (
        select user_pseudo_id, sum(event_count) as event_count
        from {{ this }}
        group by user_pseudo_id
    ) as sessions_counted
        on events_counted.user_pseudo_id = sessions_counted.user_pseudo_id
    where
        events_counted.event_count is null
        or sessions_counted.event_count is null
        or events_counted.event_count != sessions_counted.event_count

),

touched_visitors as (

    select user_pseudo_id from visitors_with_new_events
    union
    select user_pseudo_id from visitors_with_other_counts

),

events_to_sessionize as (

    select web_events.*
    from web_events
    inner join touched_visitors
        on web_events.user_pseudo_id = touched_visitors.user_pseudo_id

),
{%- else %}
events_to_sessionize as (

    select * from web_events

),
{%- endif %}

{{ web_sessions_numbered('events_to_sessionize') }},

sessionized_events as (

    select
        *,
        {{ surrogate_key(['user_pseudo_id', 'visitor_session_number']) }} as session_id,
        is_session_start = 1 as is_session_start_flag
    from sessions_numbered

),

summarized as (

    select
        session_id,
        user_pseudo_id,
        visitor_session_number,
        -- exactly one event per session is its start, so max() picks that event's value
        max(case when is_session_start_flag then event_id end) as first_event_id,
        max(case when is_session_start_flag then traffic_source end) as session_source,
        max(case when is_session_start_flag then traffic_medium end) as session_medium,
        max(case when is_session_start_flag then traffic_campaign end) as session_campaign,
        max(case when is_session_start_flag then device_category end) as device_category,
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
            as first_lead_form_at,
        max(loaded_at) as events_loaded_at
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
        first_lead_form_at,
        events_loaded_at

    from summarized

)

select * from final
