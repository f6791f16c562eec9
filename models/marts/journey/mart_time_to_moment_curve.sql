{#- Kaplan–Meier curves of every supported pair of journey steps on one shared grid from t = 0:
    every hour of the first week (time_unit 'hour', pairs precise to the second only) and every
    day of the first year (time_unit 'day'), so curves overlay in any BI tool with a plain line
    chart. S(t) on the grid is the exact curve's value at t (its last step at or before t);
    cumulative_events counts the leads known to have reached the second step by t. -#}
{%- set grids = [('hour', 168, 1.0), ('day', 365, 24.0)] -%}
with

curve as (

    select * from {{ ref('int_moment_pairs_survived') }}

),

pairs as (

    select * from {{ ref('int_lead_moment_pairs_timed') }}

),

grid_points as (

    {{ integer_range(3, 'grid_t') }}

),

subjects as (

    select
        pair_order,
        from_moment,
        to_moment,
        duration_unit,
        count(*) as subjects
    from pairs
    group by pair_order, from_moment, to_moment, duration_unit

),

-- each exact step lands on the first grid point at or after it
steps_on_grid as (

    {% for time_unit, grid_end, hours_per_unit in grids %}
    select
        pair_order,
        '{{ time_unit }}' as time_unit,
        cast(ceil(
            case when duration_unit = 'day' then duration * 24.0 else duration end / {{ hours_per_unit }}
        ) as {{ dbt.type_int() }}) as grid_t,
        min(survival) as survival,
        sum(events) as events
    from curve
    {% if time_unit == 'hour' %}where duration_unit = 'hour'{% endif %}
    group by
        pair_order,
        cast(ceil(
            case when duration_unit = 'day' then duration * 24.0 else duration end / {{ hours_per_unit }}
        ) as {{ dbt.type_int() }})
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

grid as (

    {% for time_unit, grid_end, hours_per_unit in grids %}
    select
        subjects.*,
        '{{ time_unit }}' as time_unit,
        grid_points.grid_t
    from subjects
    cross join grid_points
    where
        grid_points.grid_t <= {{ grid_end }}
        {% if time_unit == 'hour' %}and subjects.duration_unit = 'hour'{% endif %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

filled as (

    select
        grid.*,
        -- survival never rises, so the running minimum is the last step at or before t
        min(steps_on_grid.survival) over (
            partition by grid.pair_order, grid.time_unit
            order by grid.grid_t
            rows between unbounded preceding and current row
        ) as survival_so_far,
        sum(coalesce(steps_on_grid.events, 0)) over (
            partition by grid.pair_order, grid.time_unit
            order by grid.grid_t
            rows between unbounded preceding and current row
        ) as cumulative_events
    from grid
    left join steps_on_grid
        on
            grid.pair_order = steps_on_grid.pair_order
            and grid.time_unit = steps_on_grid.time_unit
            and grid.grid_t = steps_on_grid.grid_t

),

final as (

    select
        -- strings
        cast(from_moment as {{ dbt.type_string() }}) as from_moment,
        cast(to_moment as {{ dbt.type_string() }}) as to_moment,
        cast({{ moment_pair_label('from_moment', 'to_moment') }} as {{ dbt.type_string() }}) as pair_label,
        cast(time_unit as {{ dbt.type_string() }}) as time_unit,

        -- numerics
        cast(pair_order as {{ dbt.type_int() }}) as pair_order,
        cast(grid_t as {{ dbt.type_int() }}) as t,
        cast(subjects as {{ dbt.type_bigint() }}) as subjects,
        cast(cumulative_events as {{ dbt.type_bigint() }}) as cumulative_events,
        cast(coalesce(survival_so_far, 1) as {{ type_double() }}) as survival,
        cast(1 - coalesce(survival_so_far, 1) as {{ type_double() }}) as share_reached

    from filled

)

select * from final
