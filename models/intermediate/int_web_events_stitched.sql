{#- The web events of visitors stitched to a prospect, with the prospect's key: the only
    web events any moment is built from, so the large staging view is read once here. -#}
with

web_events as (

    select * from {{ ref('stg_web__events') }}

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
        web_events.event_id,
        web_visitors.prospect_id,
        web_visitors.contact_id,
        web_events.user_pseudo_id,
        web_events.ga_session_id,

        -- strings
        web_events.event_name,
        web_events.form_id,
        web_events.requested_contact_method,
        web_events.traffic_source,
        web_events.traffic_medium,
        web_events.traffic_campaign,
        web_events.device_category,

        -- timestamps
        web_events.event_at

    from web_events
    inner join web_visitors
        on web_events.user_pseudo_id = web_visitors.user_pseudo_id

)

select * from final
