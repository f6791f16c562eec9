{#- Conversion between pairs of journey steps (moment_pairs seed: zmot -> first response, zmot ->
    fmot, zmot -> purchase = lead -> won, fmot -> purchase, purchase -> smot, …), overall and per
    lead source, inquiry channel, requested channel, team and monthly cohort.
    Two rates: ever (reached the later step by the as-of time, among all who reached the first)
    and within funnel_conversion_window_days, among only those whose window had fully elapsed by
    the as-of time, so recent cohorts are not shown as failing. A pair the data cannot support has
    no rows; a breakdown value the data lacks is NULL, never a made-up 'unknown'. -#}
{%- set breakdowns = {
    'lead_source': 'lead_source',
    'channel': 'zmot_channel',
    'requested_channel': 'requested_channel',
    'team': 'team',
    'cohort_month': 'cohort_month',
} -%}
with

pairs as (

    select * from {{ ref('int_lead_moment_pairs_timed') }}

),

pairs_measured as (

    select
        *,
        {{ dbt.dateadd('day', var('funnel_conversion_window_days'), 'started_at') }} <= as_of_at
            as has_full_window,
        is_event and duration_days <= {{ var('funnel_conversion_window_days') }}
            as is_converted_within_window
    from pairs

),

pairs_by_breakdown as (

    select
        'all' as breakdown,
        'all' as breakdown_value,
        pairs_measured.*
    from pairs_measured
    {% for name, column in breakdowns.items() %}
    union all
    select
        '{{ name }}' as breakdown,
        cast({{ column }} as {{ dbt.type_string() }}) as breakdown_value,
        pairs_measured.*
    from pairs_measured
    {% endfor %}

),

aggregated as (

    select
        breakdown,
        breakdown_value,
        pair_order,
        from_moment,
        to_moment,
        duration_unit,
        count(*) as entered,
        sum(case when is_event then 1 else 0 end) as converted_ever,
        sum(case when is_event and is_reached_before_start then 1 else 0 end) as converted_before_start,
        sum(case when has_full_window then 1 else 0 end) as entered_with_full_window,
        sum(case when has_full_window and is_converted_within_window then 1 else 0 end)
            as converted_within_window,
        percentile_cont(0.5) within group (
            order by case when is_event then duration_days end
        ) as median_days_to_convert
    from pairs_by_breakdown
    group by breakdown, breakdown_value, pair_order, from_moment, to_moment, duration_unit

),

final as (

    select
        -- strings
        cast(breakdown as {{ dbt.type_string() }}) as breakdown,
        cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        cast(from_moment as {{ dbt.type_string() }}) as from_moment,
        cast(to_moment as {{ dbt.type_string() }}) as to_moment,
        cast({{ moment_pair_label('from_moment', 'to_moment') }} as {{ dbt.type_string() }}) as pair_label,
        cast(duration_unit as {{ dbt.type_string() }}) as duration_unit,

        -- numerics
        cast(pair_order as {{ dbt.type_int() }}) as pair_order,
        cast({{ var('funnel_conversion_window_days') }} as {{ dbt.type_int() }}) as conversion_window_days,
        cast(entered as {{ dbt.type_bigint() }}) as entered,
        cast(converted_ever as {{ dbt.type_bigint() }}) as converted_ever,
        cast(converted_before_start as {{ dbt.type_bigint() }}) as converted_before_start,
        cast(entered_with_full_window as {{ dbt.type_bigint() }}) as entered_with_full_window,
        cast(converted_within_window as {{ dbt.type_bigint() }}) as converted_within_window,
        cast(
            cast(converted_ever as {{ type_double() }}) / nullif(entered, 0) as {{ type_double() }}
        ) as conversion_rate_ever,
        cast(
            cast(converted_within_window as {{ type_double() }}) / nullif(entered_with_full_window, 0)
            as {{ type_double() }}
        ) as conversion_rate_within_window,
        cast(median_days_to_convert as {{ type_double() }}) as median_days_to_convert

    from aggregated

)

select * from final
