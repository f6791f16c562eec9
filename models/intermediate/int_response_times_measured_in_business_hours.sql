{#- One row per lead: the response time counted only inside working hours (working_hours seed,
    local to var working_hours_time_zone), and its bucket. A lead that writes in on Friday evening
    and is called on Monday at 09:10 waited ten business minutes, not sixty hours.

    The days between the inquiry's day and the response's day are counted, not listed: a join of
    every lead to a spine of days (one row per lead and day) made PostgreSQL nest loops over
    millions of rows at 10x. Each lead meets each working weekday once instead (at most seven
    rows): whole weeks times the weekday's hours, one more day when the weekday falls in the
    remaining part-week, and the exact overlap on the inquiry's and the response's own day. -#}
{%- set time_zone = "'" ~ var('working_hours_time_zone') ~ "'" -%}
{%- set opens_seconds = 'cast(working_hours.opens_at_hour * 3600 as ' ~ dbt.type_bigint() ~ ')' -%}
{%- set closes_seconds = 'cast(working_hours.closes_at_hour * 3600 as ' ~ dbt.type_bigint() ~ ')' -%}
{%- set zmot_day_start = 'cast(lead_spans.zmot_day as ' ~ dbt.type_timestamp() ~ ')' -%}
{%- set response_day_start = 'cast(lead_spans.response_day as ' ~ dbt.type_timestamp() ~ ')' -%}
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
        {{ from_utc('zmot_at', time_zone) }} as zmot_local,
        {{ from_utc('first_response_at', time_zone) }} as response_local
    from leads
    where first_response_at is not null and not is_response_day_precise

),

lead_days as (

    select
        prospect_id,
        zmot_local,
        response_local,
        cast(zmot_local as date) as zmot_day,
        cast(response_local as date) as response_day
    from leads_local

),

lead_day_spans as (

    select
        prospect_id,
        zmot_local,
        response_local,
        zmot_day,
        response_day,
        {{ iso_day_of_week('zmot_day') }} as zmot_iso_day_of_week,
        {{ iso_day_of_week('response_day') }} as response_iso_day_of_week,
        {{ dbt.datediff('zmot_day', 'response_day', 'day') }} as days_apart
    from lead_days

),

-- the whole local days strictly between the inquiry's day and the response's day
lead_spans as (

    select
        prospect_id,
        zmot_local,
        response_local,
        zmot_day,
        response_day,
        zmot_iso_day_of_week,
        response_iso_day_of_week,
        days_apart,
        case when days_apart > 1 then days_apart - 1 else 0 end as whole_days
    from lead_day_spans

),

-- Each lead against each working weekday. The whole days run from the day after the inquiry:
-- the weekday comes up once per full week, and once more when it lies within the remaining
-- days (its distance from the day after the inquiry, 0 … 6, is below their number). Integer
-- division is spelled (n - n % 7) / 7: `/` on integers divides exactly on DuckDB and Spark.
weekday_shares as (

    select
        lead_spans.prospect_id,
        lead_spans.zmot_local,
        lead_spans.response_local,
        (
            cast((lead_spans.whole_days - lead_spans.whole_days % 7) / 7 as {{ dbt.type_bigint() }})
            + case
                when (working_hours.iso_day_of_week - lead_spans.zmot_iso_day_of_week + 6) % 7
                    < lead_spans.whole_days % 7
                    then 1
                else 0
            end
        ) * ({{ closes_seconds }} - {{ opens_seconds }}) as whole_day_seconds,
        case
            when working_hours.iso_day_of_week = lead_spans.zmot_iso_day_of_week
                then {{ dbt.dateadd('second', opens_seconds, zmot_day_start) }}
        end as first_day_opens_at,
        case
            when working_hours.iso_day_of_week = lead_spans.zmot_iso_day_of_week
                then {{ dbt.dateadd('second', closes_seconds, zmot_day_start) }}
        end as first_day_closes_at,
        -- on a same-day response the first day is the last: counted once
        case
            when lead_spans.days_apart >= 1 and working_hours.iso_day_of_week = lead_spans.response_iso_day_of_week
                then {{ dbt.dateadd('second', opens_seconds, response_day_start) }}
        end as last_day_opens_at,
        case
            when lead_spans.days_apart >= 1 and working_hours.iso_day_of_week = lead_spans.response_iso_day_of_week
                then {{ dbt.dateadd('second', closes_seconds, response_day_start) }}
        end as last_day_closes_at
    from lead_spans
    cross join working_hours

),

-- the part of the first and the last day's opening hours between the inquiry and the response
day_overlaps as (

    select
        prospect_id,
        whole_day_seconds,
        case when zmot_local > first_day_opens_at then zmot_local else first_day_opens_at end as first_overlap_start,
        case when response_local < first_day_closes_at then response_local else first_day_closes_at end as first_overlap_end,
        case when zmot_local > last_day_opens_at then zmot_local else last_day_opens_at end as last_overlap_start,
        case when response_local < last_day_closes_at then response_local else last_day_closes_at end as last_overlap_end
    from weekday_shares

),

business_seconds as (

    select
        prospect_id,
        sum(
            cast(whole_day_seconds as {{ type_double() }})
            + case
                when first_overlap_end > first_overlap_start
                    then {{ seconds_between('first_overlap_start', 'first_overlap_end') }}
                else 0
            end
            + case
                when last_overlap_end > last_overlap_start
                    then {{ seconds_between('last_overlap_start', 'last_overlap_end') }}
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
