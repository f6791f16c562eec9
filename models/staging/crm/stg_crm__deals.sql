with

source as (

    select * from {{ source('crm', 'crm_deals') }}

),

deduplicated as (

    {{ deduplicate('source', 'deal_id') }}

),

renamed as (

    select
        -- ids
        cast(deal_id as {{ dbt.type_string() }}) as deal_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(nullif(trim(owner_id), '') as {{ dbt.type_string() }}) as owner_id,

        -- strings
        cast(pipeline as {{ dbt.type_string() }}) as pipeline,
        cast(deal_stage as {{ dbt.type_string() }}) as deal_stage,

        -- numerics
        cast(amount as {{ type_double() }}) as amount,

        -- booleans
        {{ normalize_code('deal_stage') }} in ({{ sql_list(var('won_deal_stages')) }}) as is_won,

        -- timestamps (UTC)
        cast({{ to_utc('created_at', '_source_timezone') }} as {{ dbt.type_timestamp() }}) as created_at,
        cast({{ to_utc('closed_at', '_source_timezone') }} as {{ dbt.type_timestamp() }}) as closed_at,
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
