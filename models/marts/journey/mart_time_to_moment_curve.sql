{#- Kaplan–Meier survival curve of the time from each moment to the next, one row per transition
    and distinct duration observed. S(t) = product over event times u <= t of (1 - d_u / n_u),
    where n_u counts everyone still waiting at u (censored ones included up to their censoring). -#}
with

transitions as (

    select * from {{ ref('int_moment_transitions_timed') }}

),

per_duration as (

    select
        transition,
        transition_order,
        from_moment,
        to_moment,
        duration_hours,
        sum(case when is_event then 1 else 0 end) as events,
        sum(case when is_event then 0 else 1 end) as censored,
        count(*) as leaving
    from transitions
    group by transition, transition_order, from_moment, to_moment, duration_hours

),

at_risk as (

    select
        *,
        sum(leaving) over (
            partition by transition
            order by duration_hours desc
            rows between unbounded preceding and current row
        ) as at_risk
    from per_duration

),

-- the running product is exp(sum(ln(factor))); a factor of zero (everyone left had the event)
-- has no logarithm, so it is carried as a flag that pins survival to zero from there on
survival as (

    select
        *,
        sum(case when events = at_risk then 1 else 0 end) over (
            partition by transition
            order by duration_hours
            rows between unbounded preceding and current row
        ) as zero_factors_so_far,
        sum(
            case when events < at_risk then ln(1 - cast(events as {{ type_double() }}) / at_risk) end
        ) over (
            partition by transition
            order by duration_hours
            rows between unbounded preceding and current row
        ) as log_survival
    from at_risk

),

final as (

    select
        -- strings
        cast(transition as {{ dbt.type_string() }}) as transition,
        cast(from_moment as {{ dbt.type_string() }}) as from_moment,
        cast(to_moment as {{ dbt.type_string() }}) as to_moment,

        -- numerics
        cast(transition_order as {{ dbt.type_int() }}) as transition_order,
        cast(duration_hours as {{ type_double() }}) as duration_hours,
        cast(at_risk as {{ dbt.type_bigint() }}) as at_risk,
        cast(events as {{ dbt.type_bigint() }}) as events,
        cast(censored as {{ dbt.type_bigint() }}) as censored,
        cast(
            case when zero_factors_so_far > 0 then 0 else exp(coalesce(log_survival, 0)) end
            as {{ type_double() }}
        ) as survival

    from survival

)

select * from final
