{#- One row per lead: the response time counted only inside working hours (working_hours seed,
    local to var working_hours_time_zone), and its bucket. A lead that writes in on Friday evening
    and is called on Monday at 09:10 waited ten business minutes, not sixty hours. -#}
{%- set zmot_day = 'cast(leads_local.zmot_local as date)' -%}
{%- set response_day = 'cast(leads_local.response_local as date)' -%}
{%- set day_start = 'cast(lead_days.local_day as ' ~ dbt.type_timestamp() ~ ')' -%}
{%- set opens_seconds = 'cast(working_hours.opens_at_hour * 3600 as ' ~ dbt.type_bigint() ~ ')' -%}
{%- set closes_seconds = 'cast(working_hours.closes_at_hour * 3600 as ' ~ dbt.type_bigint() ~ ')' -%}
with

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

working_hours as (

    select * from {{ ref('working_hours') }}

),

buckets as (

    select * from {{ ref('response_time_buckets') }}

),

leads_local as (

    select
        prospect_id,
        {{ from_utc('zmot_at', "'" ~ var('working_hours_time_zone') ~ "'") }} as zmot_local,
        {{ from_utc('first_response_at', "'" ~ var('working_hours_time_zone') ~ "'") }} as response_local
    from leads
    where first_response_at is not null and not is_response_day_precise

),

-- 0 … 9999: enough local days for any response delay in the data, portable (no generate_series)
day_offsets as (

    {{ integer_range(4, 'day_offset') }}

),

lead_days as (

    select
        leads_local.prospect_id,
        leads_local.zmot_local,
        leads_local.response_local,
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', zmot_day) }} as date) as local_day
    from leads_local
    inner join day_offsets
        on day_offsets.day_offset <= {{ dbt.datediff(zmot_day, response_day, 'day') }}

),

open_windows as (

    select
        lead_days.prospect_id,
        lead_days.zmot_local,
        lead_days.response_local,
        {{ dbt.dateadd('second', opens_seconds, day_start) }} as opens_at,
        {{ dbt.dateadd('second', closes_seconds, day_start) }} as closes_at
    from lead_days
    inner join working_hours
        on {{ iso_day_of_week('lead_days.local_day') }} = working_hours.iso_day_of_week

),

-- the part of each day's opening hours between the inquiry and the response
day_overlaps as (

    select
        prospect_id,
        case when zmot_local > opens_at then zmot_local else opens_at end as overlap_start,
        case when response_local < closes_at then response_local else closes_at end as overlap_end
    from open_windows

),

business_seconds as (

    select
        prospect_id,
        sum(
            case
                when overlap_end > overlap_start then {{ seconds_between('overlap_start', 'overlap_end') }}
                else 0
            end
        ) as business_response_seconds
    from day_overlaps
    group by prospect_id

),

timed as (

    select
        leads.prospect_id,
        leads.has_reached_fmot,
        leads.is_response_day_precise,
        leads.first_response_at is not null as has_response_attempt,
        -- a day-precise inquiry or response has no time of day to count business hours in
        case
            when leads.first_response_at is not null and not leads.is_response_day_precise
                then coalesce(business_seconds.business_response_seconds, 0)
        end as business_response_seconds
    from leads
    left join business_seconds
        on leads.prospect_id = business_seconds.prospect_id

),

final as (

    select
        timed.prospect_id,
        timed.has_reached_fmot,
        cast(timed.business_response_seconds as {{ type_double() }}) as business_response_seconds,
        buckets.response_time_bucket,
        buckets.bucket_order
    from timed
    left join buckets
        on
            (not timed.has_response_attempt and not buckets.is_responded)
            or (timed.has_response_attempt and timed.is_response_day_precise and buckets.is_day_precision)
            or (
                buckets.is_responded
                and not buckets.is_day_precision
                and timed.business_response_seconds >= buckets.lower_bound_seconds
                and (
                    buckets.upper_bound_seconds is null
                    or timed.business_response_seconds < buckets.upper_bound_seconds
                )
            )

)

select * from final
