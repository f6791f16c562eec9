{#- What this build's data can support: one row per landing source table (rows, span, precision,
    whether the latest load brought new rows) and one per journey step (whether any figure about
    it can be shown, and why not). BI shows it beside every dashboard: a step marked unsupported
    has no rows in the marts, which is not the same as a rate of zero. -#}
with

source_tables as (

    select * from {{ ref('int_source_tables_profiled') }}

),

steps as (

    select * from {{ ref('int_moments_supported') }}

),

moments as (

    select * from {{ ref('int_moments_unioned') }}

),

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

moments_reached as (

    select
        moment,
        count(*) as prospects,
        min(reached_at) as first_at,
        max(reached_at) as last_at,
        sum(case when reached_at_precision = 'day' then 1 else 0 end) as day_precision_rows
    from moments
    group by moment
    union all
    select
        'first_response' as moment,
        count(*) as prospects,
        min(first_response_at) as first_at,
        max(first_response_at) as last_at,
        sum(case when first_response_at_precision = 'day' then 1 else 0 end) as day_precision_rows
    from leads
    where first_response_at is not null

),

coverage as (

    select
        'source_table' as coverage_kind,
        raw_table as coverage_item,
        table_order as item_order,
        rows_kept as row_count,
        rows_loaded,
        rows_removed_as_duplicates,
        day_precision_rows,
        timestamp_precision,
        rows_kept > 0 as is_supported,
        case when rows_kept = 0 then 'no rows: no export is mapped to this table, or its files were empty' end
            as reason,
        cast(null as {{ dbt.type_string() }}) as note,
        has_new_rows_in_latest_load,
        first_at,
        last_at,
        last_new_rows_at
    from source_tables
    union all
    select
        'moment' as coverage_kind,
        steps.moment as coverage_item,
        steps.step_order as item_order,
        coalesce(moments_reached.prospects, 0) as row_count,
        cast(null as {{ dbt.type_bigint() }}) as rows_loaded,
        cast(null as {{ dbt.type_bigint() }}) as rows_removed_as_duplicates,
        coalesce(moments_reached.day_precision_rows, 0) as day_precision_rows,
        case
            when coalesce(moments_reached.prospects, 0) = 0 then null
            when moments_reached.day_precision_rows = moments_reached.prospects then 'day'
            when moments_reached.day_precision_rows = 0 then 'second'
            else 'mixed'
        end as timestamp_precision,
        steps.is_supported,
        steps.reason,
        steps.note,
        cast(null as boolean) as has_new_rows_in_latest_load,
        moments_reached.first_at,
        moments_reached.last_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_new_rows_at
    from steps
    left join moments_reached
        on steps.moment = moments_reached.moment

),

final as (

    select
        -- strings
        cast(coverage_kind as {{ dbt.type_string() }}) as coverage_kind,
        cast(coverage_item as {{ dbt.type_string() }}) as coverage_item,
        cast(timestamp_precision as {{ dbt.type_string() }}) as timestamp_precision,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(note as {{ dbt.type_string() }}) as note,

        -- numerics
        cast(item_order as {{ dbt.type_int() }}) as item_order,
        cast(row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(rows_loaded as {{ dbt.type_bigint() }}) as rows_loaded,
        cast(rows_removed_as_duplicates as {{ dbt.type_bigint() }}) as rows_removed_as_duplicates,
        cast(day_precision_rows as {{ dbt.type_bigint() }}) as day_precision_rows,

        -- booleans
        cast(is_supported as boolean) as is_supported,
        cast(has_new_rows_in_latest_load as boolean) as has_new_rows_in_latest_load,

        -- timestamps
        cast(first_at as {{ dbt.type_timestamp() }}) as first_at,
        cast(last_at as {{ dbt.type_timestamp() }}) as last_at,
        cast(last_new_rows_at as {{ dbt.type_timestamp() }}) as last_new_rows_at

    from coverage

)

select * from final
