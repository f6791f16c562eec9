{#- The headline speed-to-lead table: one row per response-time bucket, every lead counted once
    (time elapsed from the first inquiry to the first response attempt), so a plain select charts
    it and sum(leads) is the number of leads. Breakdowns and the business-hours measure are in
    mart_speed_to_lead_by_breakdown; the within-one-hour comparisons in mart_speed_to_lead_summary. -#}
with

by_breakdown as (

    select * from {{ ref('mart_speed_to_lead_by_breakdown') }}

),

final as (

    select
        -- strings
        response_time_bucket,

        -- numerics
        bucket_order,
        leads,
        leads_reached_fmot,
        fmot_rate,
        fmot_rate_ci95_lower,
        fmot_rate_ci95_upper,
        lift_vs_slowest_answered,
        lift_vs_reference_bucket

    from by_breakdown
    where breakdown = 'all' and response_time_measure = 'elapsed'

)

select * from final
