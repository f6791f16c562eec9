with

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

final as (

    select
        -- ids
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings
        cast(team as {{ dbt.type_string() }}) as team,
        cast(owner_role as {{ dbt.type_string() }}) as owner_role,

        -- booleans
        is_qualified

    from owners

)

select * from final
