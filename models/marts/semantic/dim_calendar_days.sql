{#- One row per calendar day, 2020-01-01 onwards for 10 000 days: MetricFlow's time spine (it
    joins metrics to it for time grains and windows). Built portably from digits rather than
    generate_series, which is DuckDB/PostgreSQL only. -#}
with

digits as (

    {% for digit in range(10) -%}
    select {{ digit }} as digit
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

day_offsets as (

    select thousands.digit * 1000 + hundreds.digit * 100 + tens.digit * 10 + ones.digit as day_offset
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as ones

),

final as (

    select
        cast({{ dbt.dateadd('day', 'day_offset', "cast('2020-01-01' as date)") }} as date) as date_day
    from day_offsets

)

select * from final
