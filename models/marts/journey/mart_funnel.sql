{#- Moment-to-moment conversion per breakdown (lead source, inquiry channel, requested channel,
    monthly cohort, and all). A step converts when the next moment follows within
    funnel_conversion_window_days; only prospects whose window had fully elapsed by the as-of time
    are in the rate's denominator, so recent cohorts are not shown as failing. -#}
{%- set steps = [
    (1, 'zmot', 'fmot'),
    (2, 'fmot', 'purchase'),
    (3, 'purchase', 'smot'),
    (4, 'smot', 'umot'),
    (5, 'purchase', 'rmot'),
] -%}
{%- set breakdowns = {
    'lead_source': 'lead_source',
    'channel': 'zmot_channel',
    'requested_channel': 'requested_channel',
    'cohort_month': 'cohort_month',
} -%}
with

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

steps as (

    {% for order, from_moment, to_moment in steps %}
    select
        leads.*,
        {{ order }} as step_order,
        '{{ from_moment }}' as from_moment,
        '{{ to_moment }}' as to_moment,
        leads.{{ from_moment }}_at as from_at,
        case when leads.{{ to_moment }}_at <= as_of.as_of_at then leads.{{ to_moment }}_at end as to_at,
        as_of.as_of_at
    from leads
    cross join as_of
    where leads.{{ from_moment }}_at <= as_of.as_of_at
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

steps_measured as (

    select
        *,
        {{ dbt.dateadd('day', var('funnel_conversion_window_days'), 'from_at') }} <= as_of_at
            as has_full_window,
        to_at is not null
        and to_at <= {{ dbt.dateadd('day', var('funnel_conversion_window_days'), 'from_at') }}
            as is_converted_within_window,
        case when to_at is not null then {{ seconds_between('from_at', 'to_at') }} / 3600.0 end
            as hours_between
    from steps

),

steps_by_breakdown as (

    select
        'all' as breakdown,
        'all' as breakdown_value,
        steps_measured.*
    from steps_measured
    {% for name, column in breakdowns.items() %}
    union all
    select
        '{{ name }}' as breakdown,
        cast({{ column }} as {{ dbt.type_string() }}) as breakdown_value,
        steps_measured.*
    from steps_measured
    {% endfor %}

),

aggregated as (

    select
        breakdown,
        breakdown_value,
        step_order,
        from_moment,
        to_moment,
        count(*) as entered,
        sum(case when to_at is not null then 1 else 0 end) as converted_by_as_of,
        sum(case when has_full_window then 1 else 0 end) as entered_with_full_window,
        sum(case when has_full_window and is_converted_within_window then 1 else 0 end)
            as converted_within_window,
        percentile_cont(0.5) within group (
            order by case when has_full_window and is_converted_within_window then hours_between end
        ) as median_hours_between
    from steps_by_breakdown
    group by breakdown, breakdown_value, step_order, from_moment, to_moment

),

final as (

    select
        -- strings
        cast(breakdown as {{ dbt.type_string() }}) as breakdown,
        cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        cast(from_moment as {{ dbt.type_string() }}) as from_moment,
        cast(to_moment as {{ dbt.type_string() }}) as to_moment,

        -- numerics
        cast(step_order as {{ dbt.type_int() }}) as step_order,
        cast({{ var('funnel_conversion_window_days') }} as {{ dbt.type_int() }}) as conversion_window_days,
        cast(entered as {{ dbt.type_bigint() }}) as entered,
        cast(converted_by_as_of as {{ dbt.type_bigint() }}) as converted_by_as_of,
        cast(entered_with_full_window as {{ dbt.type_bigint() }}) as entered_with_full_window,
        cast(converted_within_window as {{ dbt.type_bigint() }}) as converted_within_window,
        cast(
            cast(converted_within_window as {{ type_double() }}) / nullif(entered_with_full_window, 0)
            as {{ type_double() }}
        ) as conversion_rate,
        cast(median_hours_between as {{ type_double() }}) as median_hours_between

    from aggregated

)

select * from final
