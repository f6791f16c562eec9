{%- set quantiles = [('median', 0.5), ('p75', 0.75), ('p90', 0.9)] -%}
{#- Kaplan–Meier summary per moment-to-moment transition: median, p75 and p90 time to the next
    moment and how many were still at risk there. A quantile is the first duration at which the
    survival curve drops to 1 - q or below; it is null while the curve has not got that low
    (fewer than q of the leads are known to have made the transition). -#}
with

curve as (

    select * from {{ ref('mart_time_to_moment_curve') }}

),

transitions as (

    select * from {{ ref('int_moment_transitions_timed') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

totals as (

    select
        transition,
        transition_order,
        from_moment,
        to_moment,
        count(*) as subjects,
        sum(case when is_event then 1 else 0 end) as events,
        sum(case when is_event then 0 else 1 end) as censored
    from transitions
    group by transition, transition_order, from_moment, to_moment

),

quantile_times as (

    -- the tolerance keeps a survival of exactly 1 - q, computed through exp(ln), on the step
    select
        {% for name, q in quantiles -%}
        min(
            case when events > 0 and survival <= {{ (1 - q) | round(6) }} + 1e-9 then duration_hours end
        ) as {{ name }}_hours,
        {% endfor -%}
        transition
    from curve
    group by transition

),

final as (

    select
        -- strings
        cast(totals.transition as {{ dbt.type_string() }}) as transition,
        cast(totals.from_moment as {{ dbt.type_string() }}) as from_moment,
        cast(totals.to_moment as {{ dbt.type_string() }}) as to_moment,

        -- numerics
        cast(totals.transition_order as {{ dbt.type_int() }}) as transition_order,
        cast(totals.subjects as {{ dbt.type_bigint() }}) as subjects,
        cast(totals.events as {{ dbt.type_bigint() }}) as events,
        cast(totals.censored as {{ dbt.type_bigint() }}) as censored,
        {% for name, q in quantiles -%}
        cast(quantile_times.{{ name }}_hours as {{ type_double() }}) as {{ name }}_hours,
        cast(at_{{ name }}.at_risk as {{ dbt.type_bigint() }}) as at_risk_at_{{ name }},
        {% endfor %}

        -- timestamps
        cast(as_of.as_of_at as {{ dbt.type_timestamp() }}) as as_of_at

    from totals
    cross join as_of
    left join quantile_times
        on totals.transition = quantile_times.transition
    {% for name, q in quantiles -%}
    left join curve as at_{{ name }}
        on
            totals.transition = at_{{ name }}.transition
            and quantile_times.{{ name }}_hours = at_{{ name }}.duration_hours
    {% endfor %}

)

select * from final
