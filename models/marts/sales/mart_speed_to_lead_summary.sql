{#- The source material's headline, one row per comparison: leads answered within one hour (every
    bucket whose upper bound is at most 3600 s) against the reference bucket (var
    speed_to_lead_reference_bucket, "answered after an hour") and against the slowest answered
    bucket (>24 h). Counts of both groups sit beside the rates; the rate ratio has a 95 % interval
    (Katz, on the log scale), null where a group has no lead or no fmot. Day-precise and
    unanswered leads are in neither group. -#}
with

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

buckets as (

    select * from {{ ref('response_time_buckets') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

slowest_answered_bucket as (

    select
        buckets.bucket_order,
        buckets.response_time_bucket
    from buckets
    where buckets.bucket_order = (
        select max(bucket_order) from buckets
        where is_responded and not is_day_precision
    )

),

groups as (

    select
        leads.has_reached_fmot,
        buckets.upper_bound_seconds is not null
        and buckets.upper_bound_seconds <= 3600
        and buckets.is_responded
        and not buckets.is_day_precision as is_within_1h,
        leads.response_time_bucket = '{{ var("speed_to_lead_reference_bucket") }}' as is_reference,
        leads.bucket_order = slowest_answered_bucket.bucket_order as is_slowest
    from leads
    inner join buckets
        on leads.response_time_bucket = buckets.response_time_bucket
    cross join slowest_answered_bucket
    where exists (
        select 1 from supported
        where moment = 'first_response' and is_supported
    )

),

counted as (

    select
        sum(case when is_within_1h then 1 else 0 end) as fast_leads,
        sum(case when is_within_1h and has_reached_fmot then 1 else 0 end) as fast_fmot,
        sum(case when is_reference then 1 else 0 end) as reference_leads,
        sum(case when is_reference and has_reached_fmot then 1 else 0 end) as reference_fmot,
        sum(case when is_slowest then 1 else 0 end) as slowest_leads,
        sum(case when is_slowest and has_reached_fmot then 1 else 0 end) as slowest_fmot
    from groups
    having count(*) > 0

),

comparisons as (

    select
        1 as comparison_order,
        'within 1h vs {{ var("speed_to_lead_reference_bucket") }}' as comparison,
        '{{ var("speed_to_lead_reference_bucket") }}' as slow_bucket,
        fast_leads,
        fast_fmot,
        reference_leads as slow_leads,
        reference_fmot as slow_fmot
    from counted
    union all
    select
        2 as comparison_order,
        {{ dbt.concat(["'within 1h vs '", "slowest_answered_bucket.response_time_bucket"]) }} as comparison,
        slowest_answered_bucket.response_time_bucket as slow_bucket,
        counted.fast_leads,
        counted.fast_fmot,
        counted.slowest_leads as slow_leads,
        counted.slowest_fmot as slow_fmot
    from counted
    cross join slowest_answered_bucket

),

rates as (

    select
        *,
        cast(fast_fmot as {{ type_double() }}) / nullif(fast_leads, 0) as fast_fmot_rate,
        cast(slow_fmot as {{ type_double() }}) / nullif(slow_leads, 0) as slow_fmot_rate,
        -- Katz standard error of ln(rate ratio); undefined with a zero count
        case
            when fast_fmot > 0 and slow_fmot > 0
                then sqrt(
                    1.0 / fast_fmot - 1.0 / fast_leads + 1.0 / slow_fmot - 1.0 / slow_leads
                )
        end as log_ratio_standard_error
    from comparisons

),

final as (

    select
        -- strings
        cast(comparison as {{ dbt.type_string() }}) as comparison,
        cast(slow_bucket as {{ dbt.type_string() }}) as slow_bucket,

        -- numerics
        cast(comparison_order as {{ dbt.type_int() }}) as comparison_order,
        cast(fast_leads as {{ dbt.type_bigint() }}) as fast_leads,
        cast(fast_fmot as {{ dbt.type_bigint() }}) as fast_leads_reached_fmot,
        cast(fast_fmot_rate as {{ type_double() }}) as fast_fmot_rate,
        cast(slow_leads as {{ dbt.type_bigint() }}) as slow_leads,
        cast(slow_fmot as {{ dbt.type_bigint() }}) as slow_leads_reached_fmot,
        cast(slow_fmot_rate as {{ type_double() }}) as slow_fmot_rate,
        cast(fast_fmot_rate / nullif(slow_fmot_rate, 0) as {{ type_double() }}) as rate_ratio,
        cast(
            exp(ln(fast_fmot_rate / nullif(slow_fmot_rate, 0)) - 1.959963984540054 * log_ratio_standard_error)
            as {{ type_double() }}
        ) as rate_ratio_ci95_lower,
        cast(
            exp(ln(fast_fmot_rate / nullif(slow_fmot_rate, 0)) + 1.959963984540054 * log_ratio_standard_error)
            as {{ type_double() }}
        ) as rate_ratio_ci95_upper

    from rates

)

select * from final
