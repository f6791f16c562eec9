{#- One row per rep: every owner of the owners export, and every owner id the CRM's contacts,
    activities or deals name that the owners export does not list (or that has no owners export at
    all: a leads-only CRM export names owners by id or name only). Those are known by id alone: team
    and qualification NULL, is_in_owners_export false; so every fact's owner has a row here. -#}
with

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

engagements as (

    select * from {{ ref('stg_crm__engagements') }}

),

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

owner_ids_named as (

    select owner_id from contacts where owner_id is not null
    union
    select owner_id from engagements where owner_id is not null
    union
    select owner_id from deals where owner_id is not null

),

owners_not_exported as (

    select
        owner_ids_named.owner_id,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as owner_role,
        cast(null as boolean) as is_qualified,
        false as is_in_owners_export
    from owner_ids_named
    left join owners
        on owner_ids_named.owner_id = owners.owner_id
    where owners.owner_id is null

),

all_owners as (

    select
        owner_id,
        team,
        owner_role,
        is_qualified,
        true as is_in_owners_export
    from owners
    union all
    select * from owners_not_exported

),

final as (

    select
        -- ids
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings
        cast(team as {{ dbt.type_string() }}) as team,
        cast(owner_role as {{ dbt.type_string() }}) as owner_role,

        -- booleans
        cast(is_qualified as boolean) as is_qualified,
        cast(is_in_owners_export as boolean) as is_in_owners_export

    from all_owners

)

select * from final
