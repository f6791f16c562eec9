with

source as (

    select * from {{ source('crm', 'crm_owners') }}

),

deduplicated as (

    {{ deduplicate('source', 'owner_id') }}

),

renamed as (

    select
        -- ids
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings (names and e-mail are dropped: reps are identified by owner_id only)
        cast(nullif(trim(team), '') as {{ dbt.type_string() }}) as team,
        cast(nullif(trim(role), '') as {{ dbt.type_string() }}) as owner_role,

        -- booleans: an owner not marked qualified is not qualified
        coalesce(is_qualified, false) as is_qualified,

        -- timestamps
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
