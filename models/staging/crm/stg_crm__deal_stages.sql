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
        cast({{ deal_stage_meaning('stage_meaning', 'deal_stage') }} as {{ dbt.type_string() }}) as stage_meaning,
        cast(entered_at_precision as {{ dbt.type_string() }}) as entered_at_precision,

        -- booleans
        {{ deal_stage_meaning('stage_meaning', 'deal_stage') }} = 'won' as is_won,

        -- timestamps (UTC)
        {{ utc_timestamp('entered_at') }} as entered_at,
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
