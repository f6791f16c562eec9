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
        cast({{ deal_stage_meaning('stage_meaning', 'deal_stage') }} as {{ dbt.type_string() }}) as stage_meaning,
        -- a won-deals export has no creation date: canonical.yml's fallback rule reads closed_at
        cast(
            case when created_at is null then closed_at_precision else created_at_precision end
            as {{ dbt.type_string() }}
        ) as created_at_precision,
        cast(closed_at_precision as {{ dbt.type_string() }}) as closed_at_precision,

        -- numerics
        cast(amount as {{ type_double() }}) as amount,

        -- booleans
        {{ deal_stage_meaning('stage_meaning', 'deal_stage') }} = 'won' as is_won,
        created_at is null as is_created_at_from_close,

        -- timestamps (UTC)
        coalesce({{ utc_timestamp('created_at') }}, {{ utc_timestamp('closed_at') }}) as created_at,
        {{ utc_timestamp('closed_at') }} as closed_at,
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
