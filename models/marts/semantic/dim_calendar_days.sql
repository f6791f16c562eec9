{#- One row per calendar day, 2020-01-01 onwards for 10 000 days: MetricFlow's time spine (it
    joins metrics to it for time grains and windows). Built portably from digits rather than
    generate_series, which is DuckDB/PostgreSQL only. -#}
with

day_offsets as (

    {{ integer_range(4, 'day_offset') }}

),

final as (

    select
        cast({{ dbt.dateadd('day', 'day_offset', "cast('2020-01-01' as date)") }} as date) as date_day
    from day_offsets

)

select * from final
