{#- Every event that counts as an inquiry (a zmot candidate): the contact's creation in
    the CRM, and each lead form a stitched web visitor submitted. Lead forms are read from the
    events (a filtered scan: two per lead) so the inquiry keeps the form's own event id. -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

web_events as (

    select * from {{ ref('stg_web__events') }}

),

identities as (

    select * from {{ ref('int_identities_stitched') }}

),

web_visitors as (

    select
        identifier as user_pseudo_id,
        contact_id
    from identities
    where identifier_type = 'user_pseudo_id'

),

crm_inquiries as (

    select
        contact_id,
        'crm' as source_system,
        contact_id as source_event_id,
        'crm' as channel,
        cast(null as {{ dbt.type_string() }}) as requested_contact_method,
        created_at_precision as inquired_at_precision,
        created_at as inquired_at
    from contacts

),

web_inquiries as (

    select
        web_visitors.contact_id,
        'web' as source_system,
        web_events.event_id as source_event_id,
        'web' as channel,
        web_events.requested_contact_method,
        'microsecond' as inquired_at_precision,
        web_events.event_at as inquired_at
    from web_events
    inner join web_visitors
        on web_events.user_pseudo_id = web_visitors.user_pseudo_id
    where web_events.event_name in ({{ sql_list(var('zmot_web_event_names')) }})

),

inquiries as (

    select * from crm_inquiries
    union all
    select * from web_inquiries

),

final as (

    select
        -- ids
        {{ surrogate_key(['inquiries.source_system', 'inquiries.source_event_id']) }} as inquiry_id,
        {{ surrogate_key(['inquiries.contact_id']) }} as prospect_id,
        inquiries.contact_id,
        inquiries.source_event_id,
        contacts.owner_id,

        -- strings
        inquiries.source_system,
        inquiries.channel,
        inquiries.requested_contact_method,
        inquiries.inquired_at_precision,

        -- timestamps
        inquiries.inquired_at

    from inquiries
    inner join contacts
        on inquiries.contact_id = contacts.contact_id

)

select * from final
