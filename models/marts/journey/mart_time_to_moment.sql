{%- set quantiles = [('median', 0.5), ('p75', 0.75), ('p90', 0.9)] -%}
{#- Kaplan–Meier summary per pair of journey steps: median, p75 and p90 time from the first step
    to the second, in days (and in hours where the data is precise to the second), and how many
    leads were still waiting there. A quantile is the first duration at which the survival curve
    drops to 1 - q or below; it is null while the curve has not got that low (fewer than q of the
    leads are known to have made the step). Pairs the data cannot support have no row. -#}
with

curve as (

    select * from {{ ref('int_moment_pairs_survived') }}

),

pairs as (

    select * from {{ ref('int_lead_moment_pairs_timed') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

totals as (

    select
        pair_order,
        from_moment,
        to_moment,
        duration_unit,
        count(*) as subjects,
        sum(case when is_event then 1 else 0 end) as events,
        sum(case when is_event then 0 else 1 end) as censored
    from pairs
    group by pair_order, from_moment, to_moment, duration_unit

),

quantile_times as (

    -- the tolerance keeps a survival of exactly 1 - q, computed through exp(ln), on the step
    select
        {% for name, q in quantiles -%}
        min(
            case when events > 0 and survival <= {{ (1 - q) | round(6) }} + 1e-9 then duration end
        ) as {{ name }}_duration,
        {% endfor -%}
        pair_order
    from curve
    group by pair_order

),

final as (

    select
        -- strings
        cast(totals.from_moment as {{ dbt.type_string() }}) as from_moment,
        cast(totals.to_moment as {{ dbt.type_string() }}) as to_moment,
        cast({{ moment_pair_label('totals.from_moment', 'totals.to_moment') }} as {{ dbt.type_string() }}) as pair_label,
        cast(totals.duration_unit as {{ dbt.type_string() }}) as duration_unit,

        -- numerics
        cast(totals.pair_order as {{ dbt.type_int() }}) as pair_order,
        cast(totals.subjects as {{ dbt.type_bigint() }}) as subjects,
        cast(totals.events as {{ dbt.type_bigint() }}) as events,
        cast(totals.censored as {{ dbt.type_bigint() }}) as censored,
        {% for name, q in quantiles -%}
        cast(
            case
                when totals.duration_unit = 'day' then quantile_times.{{ name }}_duration
                else quantile_times.{{ name }}_duration / 24.0
            end as {{ type_double() }}
        ) as {{ name }}_days,
        -- hours only where the data is precise to the second: a day-precise pair has none
        cast(
            case when totals.duration_unit = 'hour' then quantile_times.{{ name }}_duration end
            as {{ type_double() }}
        ) as {{ name }}_hours,
        cast(at_{{ name }}.at_risk as {{ dbt.type_bigint() }}) as at_risk_at_{{ name }},
        {% endfor %}

        -- timestamps
        cast(as_of.as_of_at as {{ dbt.type_timestamp() }}) as as_of_at

    from totals
    cross join as_of
    left join quantile_times
        on totals.pair_order = quantile_times.pair_order
    {% for name, q in quantiles -%}
    left join curve as at_{{ name }}
        on
            totals.pair_order = at_{{ name }}.pair_order
            and quantile_times.{{ name }}_duration = at_{{ name }}.duration
    {% endfor %}

)

select * from final
