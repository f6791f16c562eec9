{#- One row per calendar day from the first day of the month of the earliest moment to the last
    day of the month of the as-of time: MetricFlow's time spine (it joins metrics to it for time
    grains and windows) and a BI date dimension that stops where the data stops. Built portably
    from digits rather than generate_series, which is DuckDB/PostgreSQL only. -#}
with

day_offsets as (

    {{ integer_range(5, 'day_offset') }}

),

moments as (

    select * from {{ ref('int_moments_unioned') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

data_range as (

    select
        cast({{ dbt.date_trunc('month', 'min(moments.reached_at)') }} as date) as first_day,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', 'max(as_of.as_of_at)'))) }}
            as date
        ) as last_day
    from moments
    cross join as_of

),

final as (

    select
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'data_range.first_day') }} as date) as date_day
    from day_offsets
    cross join data_range
    where {{ dbt.dateadd('day', 'day_offsets.day_offset', 'data_range.first_day') }} <= data_range.last_day

)

select * from final
