{#- Speed to lead per response-time bucket (elapsed, and counted in business hours only),
    overall and per breakdown (lead source, requested
    channel, team, weekly cohort). Every bucket is reported for every breakdown value, with zero
    leads where none fell in it, so BI charts never silently drop a bucket. A lead without a
    source (or team, …) is counted under a NULL breakdown value, never under a made-up label.
    Without activity data (no engagements) there are no rows at all: see mart_coverage. -#}
{%- set breakdowns = {
    'lead_source': 'lead_source',
    'requested_channel': 'requested_channel',
    'team': 'team',
    'cohort_week': 'cohort_week',
} -%}
with

supported as (

    select * from {{ ref('int_moments_supported') }}

),

leads as (

    select
        prospect_id,
        lead_source,
        requested_channel,
        team,
        cohort_week,
        response_time_bucket,
        has_reached_fmot
    from {{ ref('int_leads_attributed') }}
    -- without activity data no response time is known: no rows, rather than every lead 'never'
    where exists (
        select 1 from supported
        where moment = 'first_response' and is_supported
    )

),

business_hours_responses as (

    select * from {{ ref('int_response_times_measured_in_business_hours') }}

),

buckets as (

    select * from {{ ref('response_time_buckets') }}

),

-- each lead once per way of measuring its response time
lead_measures as (

    select
        'elapsed' as response_time_measure,
        lead_source,
        requested_channel,
        team,
        cohort_week,
        response_time_bucket,
        has_reached_fmot
    from leads
    union all
    select
        'business_hours' as response_time_measure,
        leads.lead_source,
        leads.requested_channel,
        leads.team,
        leads.cohort_week,
        business_hours_responses.response_time_bucket,
        leads.has_reached_fmot
    from leads
    inner join business_hours_responses
        on leads.prospect_id = business_hours_responses.prospect_id

),

-- one row per lead and breakdown it is counted in ('all' holds every lead once)
leads_by_breakdown as (

    select
        response_time_measure,
        'all' as breakdown,
        'all' as breakdown_value,
        response_time_bucket,
        has_reached_fmot
    from lead_measures
    {% for name, column in breakdowns.items() %}
    union all
    select
        response_time_measure,
        '{{ name }}' as breakdown,
        cast({{ column }} as {{ dbt.type_string() }}) as breakdown_value,
        response_time_bucket,
        has_reached_fmot
    from lead_measures
    {% endfor %}

),

breakdown_values as (

    select distinct
        response_time_measure,
        breakdown,
        breakdown_value
    from leads_by_breakdown

),

counted as (

    select
        response_time_measure,
        breakdown,
        breakdown_value,
        response_time_bucket,
        count(*) as leads,
        sum(case when has_reached_fmot then 1 else 0 end) as leads_reached_fmot
    from leads_by_breakdown
    group by response_time_measure, breakdown, breakdown_value, response_time_bucket

),

slowest_answered_bucket as (

    select max(bucket_order) as bucket_order
    from buckets
    where is_responded and not is_day_precision

),

grid as (

    select
        breakdown_values.response_time_measure,
        breakdown_values.breakdown,
        breakdown_values.breakdown_value,
        buckets.response_time_bucket,
        buckets.bucket_order,
        coalesce(counted.leads, 0) as leads,
        coalesce(counted.leads_reached_fmot, 0) as leads_reached_fmot,
        cast(counted.leads_reached_fmot as {{ type_double() }})
        / nullif(counted.leads, 0) as fmot_rate
    from breakdown_values
    cross join buckets
    left join counted
        on
            breakdown_values.response_time_measure = counted.response_time_measure
            and breakdown_values.breakdown = counted.breakdown
            and {{ null_safe_equals('breakdown_values.breakdown_value', 'counted.breakdown_value') }}
            and buckets.response_time_bucket = counted.response_time_bucket

),

reference_rates as (

    select
        grid.response_time_measure,
        grid.breakdown,
        grid.breakdown_value,
        max(
            case
                when grid.bucket_order = slowest_answered_bucket.bucket_order
                    then grid.fmot_rate
            end
        ) as slowest_answered_fmot_rate,
        max(
            case
                when grid.response_time_bucket = '{{ var("speed_to_lead_reference_bucket") }}'
                    then grid.fmot_rate
            end
        ) as reference_fmot_rate
    from grid
    cross join slowest_answered_bucket
    group by grid.response_time_measure, grid.breakdown, grid.breakdown_value

),

final as (

    select
        -- strings
        cast(grid.response_time_bucket as {{ dbt.type_string() }}) as response_time_bucket,
        cast(grid.response_time_measure as {{ dbt.type_string() }}) as response_time_measure,
        cast(grid.breakdown as {{ dbt.type_string() }}) as breakdown,
        cast(grid.breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        -- the cohort week as a real DATE, so a BI tool puts it on a time axis
        cast(
            case when grid.breakdown = 'cohort_week' then grid.breakdown_value end as date
        ) as cohort_week,

        -- numerics
        cast(grid.bucket_order as {{ dbt.type_int() }}) as bucket_order,
        cast(grid.leads as {{ dbt.type_bigint() }}) as leads,
        cast(grid.leads_reached_fmot as {{ dbt.type_bigint() }}) as leads_reached_fmot,
        cast(grid.fmot_rate as {{ type_double() }}) as fmot_rate,
        cast(
            {{ wilson_interval_lower('grid.leads_reached_fmot', 'grid.leads') }} as {{ type_double() }}
        ) as fmot_rate_ci95_lower,
        cast(
            {{ wilson_interval_upper('grid.leads_reached_fmot', 'grid.leads') }} as {{ type_double() }}
        ) as fmot_rate_ci95_upper,
        -- a lift is undefined (null) when the reference bucket has no leads or no fmot
        cast(
            grid.fmot_rate / nullif(reference_rates.slowest_answered_fmot_rate, 0) as {{ type_double() }}
        ) as lift_vs_slowest_answered,
        cast(
            grid.fmot_rate / nullif(reference_rates.reference_fmot_rate, 0) as {{ type_double() }}
        ) as lift_vs_reference_bucket

    from grid
    inner join reference_rates
        on
            grid.response_time_measure = reference_rates.response_time_measure
            and grid.breakdown = reference_rates.breakdown
            and {{ null_safe_equals('grid.breakdown_value', 'reference_rates.breakdown_value') }}

)

select * from final
