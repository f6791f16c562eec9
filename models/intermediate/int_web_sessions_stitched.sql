{#- The sessions of web visitors stitched to a prospect, with the prospect's key. Every session
    counts, including those before the visitor was identified: that is how stimulus and zmot
    can come from the web. Anonymous visitors' sessions are left out. -#}
with

sessions as (

    select * from {{ ref('int_web_sessions_summarized') }}

),

identities as (

    select * from {{ ref('int_identities_stitched') }}

),

web_visitors as (

    select
        identifier as user_pseudo_id,
        prospect_id,
        contact_id
    from identities
    where identifier_type = 'user_pseudo_id'

),

final as (

    select
        -- ids
        sessions.session_id,
        web_visitors.prospect_id,
        web_visitors.contact_id,
        sessions.user_pseudo_id,
        sessions.first_event_id,

        -- strings
        sessions.session_source,
        sessions.session_medium,
        sessions.session_campaign,
        sessions.device_category,

        -- numerics
        sessions.visitor_session_number,
        sessions.event_count,
        sessions.lead_form_event_count,

        -- booleans
        sessions.is_campaign_session,

        -- timestamps
        sessions.session_started_at,
        sessions.session_ended_at

    from sessions
    inner join web_visitors
        on sessions.user_pseudo_id = web_visitors.user_pseudo_id

)

select * from final
