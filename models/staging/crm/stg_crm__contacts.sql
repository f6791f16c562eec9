with

source as (

    select * from {{ source('crm', 'crm_contacts') }}

),

deduplicated as (

    {{ deduplicate('source', 'contact_id') }}

),

renamed as (

    select
        -- ids
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(nullif(trim(owner_id), '') as {{ dbt.type_string() }}) as owner_id,
        cast(nullif(trim(referred_by_contact_id), '') as {{ dbt.type_string() }}) as referred_by_contact_id,

        -- pii, pseudonymised: the only form in which an e-mail leaves this model
        {{ hash_email('email') }} as email_sha256,

        -- strings
        cast(nullif(trim(lead_source), '') as {{ dbt.type_string() }}) as lead_source,
        cast(lower(nullif(trim(preferred_contact_method), '')) as {{ dbt.type_string() }})
            as preferred_contact_method,
        cast(lower(nullif(trim(lifecycle_stage), '')) as {{ dbt.type_string() }}) as lifecycle_stage,

        -- 'day' when the export only had a date (no time), else 'second'
        cast(created_at_precision as {{ dbt.type_string() }}) as created_at_precision,

        -- booleans
        nullif(trim(phone), '') is not null as has_phone,
        nullif(trim(email), '') is not null as has_email,

        -- timestamps (UTC)
        {{ utc_timestamp('created_at') }} as created_at,
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
