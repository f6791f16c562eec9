-- every lead lands in exactly one bucket: bucket totals must equal the zmot count,
-- and fmot totals the fmot count
with

speed_to_lead as (

    select * from {{ ref('mart_speed_to_lead') }}
    -- every lead is counted once per breakdown and measure: take the overall rows
    where breakdown = 'all' and response_time_measure = 'elapsed'

),

moments as (

    select * from {{ ref('fct_prospect_moments') }}

),

bucket_totals as (

    select
        sum(leads) as leads,
        sum(leads_reached_fmot) as leads_reached_fmot
    from speed_to_lead

),

moment_totals as (

    select
        sum(case when moment = 'zmot' then 1 else 0 end) as zmot_prospects,
        sum(case when moment = 'fmot' then 1 else 0 end) as fmot_prospects
    from moments

),

mismatches as (

    select
        bucket_totals.leads,
        bucket_totals.leads_reached_fmot,
        moment_totals.zmot_prospects,
        moment_totals.fmot_prospects
    from bucket_totals
    cross join moment_totals
    where
        coalesce(bucket_totals.leads, 0) != coalesce(moment_totals.zmot_prospects, 0)
        or coalesce(bucket_totals.leads_reached_fmot, 0) != coalesce(moment_totals.fmot_prospects, 0)

)

select * from mismatches
