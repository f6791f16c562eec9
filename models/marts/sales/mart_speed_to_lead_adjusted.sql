{#- Leads answered within one hour against each slower answered bucket, overall and per team: the
    crude fmot rate ratio (Katz 95 % interval) beside the Mantel–Haenszel ratio stratified by var
    speed_to_lead_strata (lead source x business-hours x weekend arrival), with the 95 % interval
    of the Greenland–Robins variance. Fast answers go to the leads that convert anyway; the
    stratified ratio compares like with like, and crude / adjusted says how much of the crude
    figure was lead mix. A stratum without both arms carries no information and drops out of the
    adjusted ratio (informative_strata counts the ones that count). Day-precise and unanswered
    leads are in neither arm. No rows without CRM activities (mart_coverage). -#}
{%- set z = 1.959963984540054 -%}
with

leads as (

    select * from {{ ref('int_leads_stratified') }}

),

buckets as (

    select * from {{ ref('response_time_buckets') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

slow_buckets as (

    select
        response_time_bucket,
        bucket_order
    from buckets
    where is_responded and not is_day_precision and lower_bound_seconds >= 3600

),

compared_leads as (

    select * from leads
    where
        (is_answered_within_1h or is_answered_after_1h)
        and exists (
            select 1 from supported
            where moment = 'first_response' and is_supported
        )

),

-- every compared lead twice: once for the whole company, once for its team
lead_breakdowns as (

    select
        'all' as breakdown,
        cast('all' as {{ dbt.type_string() }}) as breakdown_value,
        stratum_key,
        response_time_bucket,
        is_answered_within_1h,
        has_reached_fmot
    from compared_leads

    union all

    select
        'team' as breakdown,
        cast(team as {{ dbt.type_string() }}) as breakdown_value,
        stratum_key,
        response_time_bucket,
        is_answered_within_1h,
        has_reached_fmot
    from compared_leads

),

-- the within-1-h leads are the fast arm of every comparison
arms as (

    select
        lead_breakdowns.breakdown,
        lead_breakdowns.breakdown_value,
        slow_buckets.response_time_bucket as slow_bucket,
        slow_buckets.bucket_order as slow_bucket_order,
        lead_breakdowns.stratum_key,
        lead_breakdowns.is_answered_within_1h,
        lead_breakdowns.has_reached_fmot
    from lead_breakdowns
    cross join slow_buckets
    where
        lead_breakdowns.is_answered_within_1h
        or lead_breakdowns.response_time_bucket = slow_buckets.response_time_bucket

),

strata as (

    select
        breakdown,
        breakdown_value,
        slow_bucket,
        slow_bucket_order,
        stratum_key,
        cast(sum(case when is_answered_within_1h then 1 else 0 end) as {{ type_double() }}) as fast_leads,
        cast(sum(case when is_answered_within_1h and has_reached_fmot then 1 else 0 end) as {{ type_double() }})
            as fast_fmot,
        cast(sum(case when not is_answered_within_1h then 1 else 0 end) as {{ type_double() }}) as slow_leads,
        cast(sum(case when not is_answered_within_1h and has_reached_fmot then 1 else 0 end) as {{ type_double() }})
            as slow_fmot
    from arms
    group by breakdown, breakdown_value, slow_bucket, slow_bucket_order, stratum_key

),

-- Mantel–Haenszel numerator and denominator terms and the Greenland–Robins variance terms;
-- all three are 0 in a stratum that lacks either arm
stratum_terms as (

    select
        *,
        case when fast_leads > 0 and slow_leads > 0 then 1 else 0 end as is_informative,
        fast_fmot * slow_leads / (fast_leads + slow_leads) as mh_numerator,
        slow_fmot * fast_leads / (fast_leads + slow_leads) as mh_denominator,
        (
            (fast_fmot + slow_fmot) * fast_leads * slow_leads
            - fast_fmot * slow_fmot * (fast_leads + slow_leads)
        ) / ((fast_leads + slow_leads) * (fast_leads + slow_leads)) as gr_variance_term
    from strata

),

summed as (

    select
        breakdown,
        breakdown_value,
        slow_bucket,
        slow_bucket_order,
        count(*) as strata,
        sum(is_informative) as informative_strata,
        sum(fast_leads) as fast_leads,
        sum(fast_fmot) as fast_fmot,
        sum(slow_leads) as slow_leads,
        sum(slow_fmot) as slow_fmot,
        sum(mh_numerator) as mh_numerator,
        sum(mh_denominator) as mh_denominator,
        sum(gr_variance_term) as gr_variance
    from stratum_terms
    group by breakdown, breakdown_value, slow_bucket, slow_bucket_order

),

ratios as (

    select
        *,
        case
            when fast_fmot > 0 and slow_fmot > 0
                then (fast_fmot / fast_leads) / (slow_fmot / slow_leads)
        end as crude_rate_ratio,
        case
            when fast_fmot > 0 and slow_fmot > 0
                then sqrt(1 / fast_fmot - 1 / fast_leads + 1 / slow_fmot - 1 / slow_leads)
        end as crude_log_se,
        case
            when mh_numerator > 0 and mh_denominator > 0 then mh_numerator / mh_denominator
        end as adjusted_rate_ratio,
        case
            when mh_numerator > 0 and mh_denominator > 0
                then sqrt(gr_variance / (mh_numerator * mh_denominator))
        end as adjusted_log_se
    from summed

),

final as (

    select
        -- strings
        breakdown,
        breakdown_value,
        slow_bucket,
        {{ dbt.concat(["'within 1h vs '", 'slow_bucket']) }} as comparison,

        -- numerics
        slow_bucket_order,
        cast(strata as {{ dbt.type_bigint() }}) as strata,
        cast(informative_strata as {{ dbt.type_bigint() }}) as informative_strata,
        cast(fast_leads as {{ dbt.type_bigint() }}) as fast_leads,
        cast(fast_fmot as {{ dbt.type_bigint() }}) as fast_leads_reached_fmot,
        cast(slow_leads as {{ dbt.type_bigint() }}) as slow_leads,
        cast(slow_fmot as {{ dbt.type_bigint() }}) as slow_leads_reached_fmot,
        case when fast_leads > 0 then fast_fmot / fast_leads end as fast_fmot_rate,
        case when slow_leads > 0 then slow_fmot / slow_leads end as slow_fmot_rate,
        crude_rate_ratio,
        crude_rate_ratio * exp(-{{ z }} * crude_log_se) as crude_rate_ratio_ci95_lower,
        crude_rate_ratio * exp({{ z }} * crude_log_se) as crude_rate_ratio_ci95_upper,
        adjusted_rate_ratio,
        adjusted_rate_ratio * exp(-{{ z }} * adjusted_log_se) as adjusted_rate_ratio_ci95_lower,
        adjusted_rate_ratio * exp({{ z }} * adjusted_log_se) as adjusted_rate_ratio_ci95_upper,
        crude_rate_ratio / adjusted_rate_ratio as crude_over_adjusted

    from ratios

)

select * from final
