with

source as (

    select * from {{ source('crm', 'crm_deal_stages') }}

),

deduplicated as (

    {{ deduplicate('source', 'deal_id, deal_stage, entered_at') }}

),

renamed as (

    select
        -- ids
        {{ surrogate_key(['deal_id', 'deal_stage', 'entered_at']) }} as deal_stage_entry_id,
        cast(deal_id as {{ dbt.type_string() }}) as deal_id,

        -- strings
        cast(deal_stage as {{ dbt.type_string() }}) as deal_stage,

        -- booleans
        {{ normalize_code('deal_stage') }} in ({{ sql_list(var('won_deal_stages')) }}) as is_won,

        -- timestamps (UTC)
        cast({{ to_utc('entered_at', '_source_timezone') }} as {{ dbt.type_timestamp() }}) as entered_at,
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
