-- every lead lands in exactly one bucket: bucket totals must equal the zmot count,
-- and fmot totals the fmot count (when the data has activities to time responses at all)
with

speed_to_lead as (

    select * from {{ ref('mart_speed_to_lead') }}

),

coverage as (

    select * from {{ ref('mart_coverage') }}

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

responses_supported as (

    select count(*) > 0 as is_supported
    from coverage
    where coverage_kind = 'moment' and coverage_item = 'first_response' and is_supported

),

mismatches as (

    select
        bucket_totals.leads,
        bucket_totals.leads_reached_fmot,
        moment_totals.zmot_prospects,
        moment_totals.fmot_prospects
    from bucket_totals
    cross join moment_totals
    cross join responses_supported
    where
        (
            responses_supported.is_supported
            and (
                coalesce(bucket_totals.leads, 0) != coalesce(moment_totals.zmot_prospects, 0)
                or coalesce(bucket_totals.leads_reached_fmot, 0) != coalesce(moment_totals.fmot_prospects, 0)
            )
        )
        -- without activities the mart must be empty, not a table of 'never'
        or (not responses_supported.is_supported and coalesce(bucket_totals.leads, 0) > 0)

)

select * from mismatches
