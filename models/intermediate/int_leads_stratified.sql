{#- One row per lead with the stratum the adjusted speed-to-lead measures compare it within (var
    speed_to_lead_strata: lead source x business-hours arrival x weekend arrival, local to var
    working_hours_time_zone) and which side of the hour its first response fell on. Fast answers
    go to the leads that convert anyway, so a fair comparison holds the stratum fixed. A missing
    lead source is a stratum of its own, never merged into a real source. -#}
{%- set zmot_local = from_utc('leads.zmot_at', "'" ~ var('working_hours_time_zone') ~ "'") -%}
{%- set stratum_parts = [] -%}
{%- for column in var('speed_to_lead_strata') -%}
    {%- if not loop.first %}{% do stratum_parts.append("'|'") %}{% endif -%}
    {%- do stratum_parts.append("coalesce(cast(responses_classified." ~ column ~ " as " ~ dbt.type_string() ~ "), '(none)')") -%}
{%- endfor -%}
with

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

buckets as (

    select * from {{ ref('response_time_buckets') }}

),

working_hours as (

    select * from {{ ref('working_hours') }}

),

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

won_amounts as (

    select
        contact_id,
        sum(amount) as won_amount
    from deals
    where is_won
    group by contact_id

),

leads_local as (

    select
        leads.*,
        {{ iso_day_of_week('cast(' ~ zmot_local ~ ' as date)') }} as arrival_iso_day_of_week,
        extract(hour from {{ zmot_local }}) + extract(minute from {{ zmot_local }}) / 60.0 as arrival_local_hour
    from leads

),

arrivals_classified as (

    select
        leads_local.*,
        working_hours.iso_day_of_week is not null as is_business_hours_arrival,
        leads_local.arrival_iso_day_of_week in ({{ var('weekend_iso_days') | join(', ') }}) as is_weekend_arrival
    from leads_local
    left join working_hours
        on
            leads_local.arrival_iso_day_of_week = working_hours.iso_day_of_week
            and leads_local.arrival_local_hour >= working_hours.opens_at_hour
            and leads_local.arrival_local_hour < working_hours.closes_at_hour

),

-- a bucket is within the hour when it ends by 3600 s, after it when it starts there
responses_classified as (

    select
        arrivals_classified.*,
        coalesce(
            buckets.is_responded and not buckets.is_day_precision and buckets.upper_bound_seconds <= 3600,
            false
        ) as is_answered_within_1h,
        coalesce(
            buckets.is_responded and not buckets.is_day_precision and buckets.lower_bound_seconds >= 3600,
            false
        ) as is_answered_after_1h
    from arrivals_classified
    left join buckets
        on arrivals_classified.response_time_bucket = buckets.response_time_bucket

),

final as (

    select
        -- ids
        responses_classified.prospect_id,
        responses_classified.contact_id,
        responses_classified.owner_id,
        {{ dbt.concat(stratum_parts) }} as stratum_key,

        -- strings
        responses_classified.lead_source,
        responses_classified.team,
        responses_classified.response_time_bucket,

        -- numerics
        responses_classified.bucket_order,
        responses_classified.response_seconds,
        cast(responses_classified.arrival_iso_day_of_week as {{ dbt.type_int() }}) as arrival_iso_day_of_week,
        cast(floor(responses_classified.arrival_local_hour) as {{ dbt.type_int() }}) as arrival_hour_of_day,
        won_amounts.won_amount,

        -- booleans
        responses_classified.is_business_hours_arrival,
        responses_classified.is_weekend_arrival,
        responses_classified.has_response_attempt,
        responses_classified.is_answered_within_1h,
        responses_classified.is_answered_after_1h,
        responses_classified.is_response_day_precise,
        responses_classified.has_reached_fmot,
        responses_classified.purchase_at is not null as has_reached_purchase,

        -- dates
        responses_classified.cohort_week,
        responses_classified.cohort_month,

        -- timestamps
        responses_classified.zmot_at

    from responses_classified
    left join won_amounts
        on responses_classified.contact_id = won_amounts.contact_id

)

select * from final
