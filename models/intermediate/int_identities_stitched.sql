{#- The identity graph: every identifier seen in any source, resolved to one CRM contact
    (and so one prospect). Web visitors are stitched through the CRM Record ID they carry
    as GA4 user_id, or the hashed e-mail a form sent, read at session grain (a session keeps
    the identifiers its events carried) so 50 M events are not joined here. -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

web_sessions as (

    select * from {{ ref('int_web_sessions_summarized') }}

),

-- only sessions that carried an identifier can stitch a visitor
identified_web_events as (

    select
        user_pseudo_id,
        user_id,
        email_sha256,
        identified_at as event_at
    from web_sessions
    where user_id is not null or email_sha256 is not null

),

contact_ids as (

    select
        'contact_id' as identifier_type,
        contact_id as identifier,
        contact_id,
        'contact_id' as stitched_by,
        created_at as first_seen_at
    from contacts

),

-- a CRM may hold the same address twice: the contact created first owns it
email_owners_ranked as (

    select
        email_sha256,
        contact_id,
        created_at,
        row_number() over (partition by email_sha256 order by created_at, contact_id) as owner_rank
    from contacts
    where email_sha256 is not null

),

contact_emails as (

    select
        'email_sha256' as identifier_type,
        email_sha256 as identifier,
        contact_id,
        'email_sha256' as stitched_by,
        created_at as first_seen_at
    from email_owners_ranked
    where owner_rank = 1

),

visitors_by_user_id as (

    select
        identified_web_events.user_pseudo_id,
        contacts.contact_id,
        'user_id' as stitched_by,
        1 as match_strength_rank,
        identified_web_events.event_at
    from identified_web_events
    inner join contacts
        on identified_web_events.user_id = contacts.contact_id

),

visitors_by_email as (

    select
        identified_web_events.user_pseudo_id,
        contact_emails.contact_id,
        'email_sha256' as stitched_by,
        2 as match_strength_rank,
        identified_web_events.event_at
    from identified_web_events
    inner join contact_emails
        on identified_web_events.email_sha256 = contact_emails.identifier

),

visitor_matches as (

    select * from visitors_by_user_id
    union all
    select * from visitors_by_email

),

-- a visitor (browser) belongs to one contact: the stronger identifier wins, then the earliest
visitor_matches_ranked as (

    select
        user_pseudo_id,
        contact_id,
        stitched_by,
        min(event_at) over (partition by user_pseudo_id) as first_seen_at,
        row_number() over (
            partition by user_pseudo_id
            order by match_strength_rank, event_at, contact_id
        ) as match_rank
    from visitor_matches

),

web_visitors as (

    select
        'user_pseudo_id' as identifier_type,
        user_pseudo_id as identifier,
        contact_id,
        stitched_by,
        first_seen_at
    from visitor_matches_ranked
    where match_rank = 1

),

identities as (

    select * from contact_ids
    union all
    select * from contact_emails
    union all
    select * from web_visitors

),

final as (

    select
        -- ids
        {{ surrogate_key(['identifier_type', 'identifier']) }} as identity_id,
        {{ surrogate_key(['contact_id']) }} as prospect_id,
        contact_id,
        identifier,

        -- strings
        identifier_type,
        stitched_by,

        -- timestamps
        first_seen_at

    from identities

)

select * from final
