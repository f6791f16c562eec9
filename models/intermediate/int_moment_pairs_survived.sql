{#- Kaplan–Meier survival of the time between each pair of journey steps, one row per pair and
    distinct duration observed, in the pair's own unit (hours, or whole days when the data knows a
    step only to the day). S(t) = product over event times u <= t of (1 - d_u / n_u), where n_u
    counts every lead still waiting at u (censored ones up to their censoring). -#}
with

pairs as (

    select * from {{ ref('int_lead_moment_pairs_timed') }}

),

per_duration as (

    select
        pair_order,
        from_moment,
        to_moment,
        duration_unit,
        case when duration_unit = 'day' then duration_days else duration_hours end as duration,
        sum(case when is_event then 1 else 0 end) as events,
        sum(case when is_event then 0 else 1 end) as censored,
        count(*) as leaving
    from pairs
    group by
        pair_order,
        from_moment,
        to_moment,
        duration_unit,
        case when duration_unit = 'day' then duration_days else duration_hours end

),

at_risk as (

    select
        *,
        sum(leaving) over (
            partition by pair_order
            order by duration desc
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
            partition by pair_order
            order by duration
            rows between unbounded preceding and current row
        ) as zero_factors_so_far,
        sum(
            case when events < at_risk then ln(1 - cast(events as {{ type_double() }}) / at_risk) end
        ) over (
            partition by pair_order
            order by duration
            rows between unbounded preceding and current row
        ) as log_survival
    from at_risk

),

final as (

    select
        -- strings
        from_moment,
        to_moment,
        duration_unit,

        -- numerics
        pair_order,
        cast(duration as {{ type_double() }}) as duration,
        at_risk,
        events,
        censored,
        case when zero_factors_so_far > 0 then 0 else exp(coalesce(log_survival, 0)) end as survival

    from survival

)

select * from final
