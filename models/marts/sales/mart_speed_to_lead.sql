with

leads as (

    select * from {{ ref('int_lead_responses_measured') }}

),

buckets as (

    select * from {{ ref('response_time_buckets') }}

),

leads_per_bucket as (

    select
        response_time_bucket,
        count(*) as leads,
        sum(case when has_reached_fmot then 1 else 0 end) as leads_reached_fmot
    from leads
    group by response_time_bucket

),

-- every bucket is reported, with zero leads where none fell in it
final as (

    select
        cast(buckets.response_time_bucket as {{ dbt.type_string() }}) as response_time_bucket,
        cast(buckets.bucket_order as {{ dbt.type_int() }}) as bucket_order,
        cast(coalesce(leads_per_bucket.leads, 0) as {{ dbt.type_bigint() }}) as leads,
        cast(coalesce(leads_per_bucket.leads_reached_fmot, 0) as {{ dbt.type_bigint() }})
            as leads_reached_fmot,
        cast(
            cast(leads_per_bucket.leads_reached_fmot as {{ type_double() }})
            / nullif(leads_per_bucket.leads, 0)
            as {{ type_double() }}
        ) as fmot_rate
    from buckets
    left join leads_per_bucket
        on buckets.response_time_bucket = leads_per_bucket.response_time_bucket

)

select * from final
order by bucket_order
