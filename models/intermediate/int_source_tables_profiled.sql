{#- One row per landing source table: how many rows its exports gave, how many staging kept (one
    per declared id: the others were duplicates), the span and precision of its main timestamp,
    and when files last brought it new rows. mart_coverage publishes it beside the moments. -#}
{%- set tables = [
    ('crm_contacts', 'stg_crm__contacts', 'created_at', 'created_at_precision'),
    ('crm_engagements', 'stg_crm__engagements', 'occurred_at', 'occurred_at_precision'),
    ('crm_deals', 'stg_crm__deals', 'closed_at', 'closed_at_precision'),
    ('crm_deal_stages', 'stg_crm__deal_stages', 'entered_at', 'entered_at_precision'),
    ('crm_owners', 'stg_crm__owners', none, none),
    ('crm_time_logs', 'stg_crm__time_logs', 'logged_on', none),
    ('web_events', 'stg_web__events', 'event_at', none),
    ('survey_responses', 'stg_survey__responses', 'submitted_at', 'submitted_at_precision'),
    ('reviews_reviews', 'stg_reviews__reviews', 'published_at', 'published_at_precision'),
] -%}
with

load_log as (

    select * from {{ ref('stg_ingest__load_log') }}

),

{% for raw_table, model, timestamp_column, precision_column in tables %}
{{ raw_table }} as (

    select * from {{ ref(model) }}

),

{% endfor %}

staged as (

    {% for raw_table, model, timestamp_column, precision_column in tables %}
    select
        '{{ raw_table }}' as raw_table,
        {{ loop.index }} as table_order,
        count(*) as rows_kept,
        {% if timestamp_column -%}
        min(cast({{ timestamp_column }} as {{ dbt.type_timestamp() }})) as first_at,
        max(cast({{ timestamp_column }} as {{ dbt.type_timestamp() }})) as last_at,
        {%- else -%}
        cast(null as {{ dbt.type_timestamp() }}) as first_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_at,
        {%- endif %}
        {% if precision_column -%}
        coalesce(sum(case when {{ precision_column }} = 'day' then 1 else 0 end), 0) as day_precision_rows
        {%- elif timestamp_column == 'logged_on' -%}
        count(*) as day_precision_rows
        {%- else -%}
        0 as day_precision_rows
        {%- endif %}
    from {{ raw_table }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- the raw table holds the rows of each file's latest load that put rows in it
latest_loads as (

    select
        raw_table,
        source_file,
        rows_loaded,
        loaded_at,
        row_number() over (
            partition by raw_table, source_file, mapping_name
            order by loaded_at desc, load_id desc
        ) as load_recency
    from load_log
    where has_loaded_rows

),

loads as (

    select
        raw_table,
        count(*) as files_loaded,
        sum(rows_loaded) as rows_loaded,
        max(loaded_at) as last_new_rows_at
    from latest_loads
    where load_recency = 1
    group by raw_table

),

attempts as (

    select
        raw_table,
        max(loaded_at) as last_attempt_at
    from load_log
    group by raw_table

),

final as (

    select
        -- strings
        staged.raw_table,
        case
            when staged.rows_kept = 0 then null
            when staged.day_precision_rows = staged.rows_kept then 'day'
            when staged.day_precision_rows = 0 then 'second'
            else 'mixed'
        end as timestamp_precision,

        -- numerics
        staged.table_order,
        coalesce(loads.files_loaded, 0) as files_loaded,
        coalesce(loads.rows_loaded, staged.rows_kept) as rows_loaded,
        staged.rows_kept,
        greatest(coalesce(loads.rows_loaded, staged.rows_kept) - staged.rows_kept, 0) as rows_removed_as_duplicates,
        staged.day_precision_rows,

        -- booleans: the latest attempt to load this table brought new or changed rows
        coalesce(loads.last_new_rows_at = attempts.last_attempt_at, false) as has_new_rows_in_latest_load,

        -- timestamps
        staged.first_at,
        staged.last_at,
        loads.last_new_rows_at,
        attempts.last_attempt_at

    from staged
    left join loads
        on staged.raw_table = loads.raw_table
    left join attempts
        on staged.raw_table = attempts.raw_table

)

select * from final
