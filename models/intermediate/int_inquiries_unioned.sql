{#- Every event that counts as an inquiry (a zmot candidate): the contact's creation in
    the CRM, and each lead form a stitched web visitor submitted. -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

web_events as (

    select * from {{ ref('int_web_events_stitched') }}

),

crm_inquiries as (

    select
        contact_id,
        'crm' as source_system,
        contact_id as source_event_id,
        'crm' as channel,
        cast(null as {{ dbt.type_string() }}) as requested_contact_method,
        created_at as inquired_at
    from contacts

),

web_inquiries as (

    select
        contact_id,
        'web' as source_system,
        event_id as source_event_id,
        'web' as channel,
        requested_contact_method,
        event_at as inquired_at
    from web_events
    where event_name in ({{ sql_list(var('zmot_web_event_names')) }})

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

        -- timestamps
        inquiries.inquired_at

    from inquiries
    inner join contacts
        on inquiries.contact_id = contacts.contact_id

)

select * from final
