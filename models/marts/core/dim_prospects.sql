with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

leads as (

    select * from {{ ref('int_lead_responses_measured') }}

),

leads_attributed as (

    select * from {{ ref('int_leads_attributed') }}

),

final as (

    select
        -- ids
        cast({{ surrogate_key(['contacts.contact_id']) }} as {{ dbt.type_string() }}) as prospect_id,
        cast(contacts.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(contacts.owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(
            case
                when contacts.referred_by_contact_id is not null
                    then {{ surrogate_key(['contacts.referred_by_contact_id']) }}
            end as {{ dbt.type_string() }}
        ) as referred_by_prospect_id,

        -- strings
        cast(contacts.lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(leads_attributed.requested_contact_method as {{ dbt.type_string() }})
            as requested_contact_method,
        cast(contacts.preferred_contact_method as {{ dbt.type_string() }}) as preferred_contact_method,
        cast(contacts.lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,

        -- dates: a cohort is the month of the first inquiry (UTC)
        cast({{ dbt.date_trunc('month', 'coalesce(leads.zmot_at, contacts.created_at)') }} as date)
            as cohort_month,

        -- timestamps
        cast(contacts.created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(leads.zmot_at as {{ dbt.type_timestamp() }}) as zmot_at

    from contacts
    left join leads
        on contacts.contact_id = leads.contact_id
    left join leads_attributed
        on leads.prospect_id = leads_attributed.prospect_id

)

select * from final
