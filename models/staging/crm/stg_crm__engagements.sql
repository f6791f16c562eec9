{#- Incremental: engagements are the CRM's volume table (about five per prospect). An engagement
    re-exported with a new outcome replaces the stored one (delete+insert on its id). -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='engagement_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    full_refresh=allow_full_refresh(),
    post_hook="{{ delete_redelivered_rows(source('crm', 'crm_engagements')) }}",
) }}

with

source as (

    select * from {{ source('crm', 'crm_engagements') }}
    {{ incremental_lookback_filter() }}
    {%- if is_incremental() %}
    -- an engagement held from a re-delivered file is read again from every file that has it
    or engagement_id in (
        {{ keys_of_redelivered_rows(source('crm', 'crm_engagements'), 'engagement_id') }}
    )
    {%- endif %}

),

deduplicated as (

    {{ deduplicate('source', 'engagement_id') }}

),

renamed as (

    select
        -- ids
        cast(engagement_id as {{ dbt.type_string() }}) as engagement_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(nullif(trim(owner_id), '') as {{ dbt.type_string() }}) as owner_id,

        -- strings: vendor enumerations in one case so rules can compare them
        cast(upper(trim(engagement_type)) as {{ dbt.type_string() }}) as engagement_type,
        cast(upper(nullif(trim(direction), '')) as {{ dbt.type_string() }}) as direction,
        cast(upper(nullif(trim(outcome), '')) as {{ dbt.type_string() }}) as outcome,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(occurred_at_precision as {{ dbt.type_string() }}) as occurred_at_precision,

        -- numerics
        cast(duration_ms as {{ dbt.type_bigint() }}) as duration_ms,

        -- booleans
        coalesce(is_templated, false) as is_templated,

        -- timestamps (UTC)
        {{ utc_timestamp('occurred_at') }} as occurred_at,
        _loaded_at as loaded_at,
        cast(_source_file as {{ dbt.type_string() }}) as source_file

    from deduplicated

)

select * from renamed
