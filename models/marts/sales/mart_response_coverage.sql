{#- When leads wait: one row per hour of the week (local to var working_hours_time_zone, Monday
    00h first), the leads that arrived in it, how many were answered within one hour, and whether
    the working_hours seed staffs it. Time logs are per day, not per hour, so the outreach hours
    logged sit beside each hour at the finest grain the export carries: the hours logged on that
    day of the week over the whole window (null without time logs, never 0). No rows without CRM
    activities (mart_coverage). -#}
with

leads as (

    select * from {{ ref('int_leads_stratified') }}

),

rep_days as (

    select * from {{ ref('int_rep_outcomes_daily') }}

),

working_hours as (

    select * from {{ ref('working_hours') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

hour_numbers as (

    {{ integer_range(3, 'hour_of_week') }}

),

hours_of_week as (

    select
        hour_of_week,
        cast(floor(hour_of_week / 24) + 1 as {{ dbt.type_int() }}) as iso_day_of_week,
        cast(hour_of_week - 24 * floor(hour_of_week / 24) as {{ dbt.type_int() }}) as hour_of_day
    from hour_numbers
    where hour_of_week < 168
        and exists (
            select 1 from supported
            where moment = 'first_response' and is_supported
        )

),

arrivals as (

    select
        arrival_iso_day_of_week,
        arrival_hour_of_day,
        count(*) as leads,
        sum(case when has_response_attempt then 1 else 0 end) as leads_answered,
        sum(case when is_answered_within_1h then 1 else 0 end) as leads_answered_within_1h,
        sum(case when has_reached_fmot then 1 else 0 end) as leads_reached_fmot
    from leads
    group by arrival_iso_day_of_week, arrival_hour_of_day

),

time_logs_present as (

    select count(outreach_hours) > 0 as has_time_logs
    from rep_days

),

weekday_hours as (

    select
        {{ iso_day_of_week('activity_day') }} as iso_day_of_week,
        sum(outreach_hours) as outreach_hours
    from rep_days
    group by {{ iso_day_of_week('activity_day') }}

),

final as (

    select
        -- strings
        {{ dbt.concat([
            "cast(hours_of_week.iso_day_of_week as " ~ dbt.type_string() ~ ")",
            "' '",
            "case hours_of_week.iso_day_of_week when 1 then 'Mon' when 2 then 'Tue' when 3 then 'Wed' "
                ~ "when 4 then 'Thu' when 5 then 'Fri' when 6 then 'Sat' else 'Sun' end",
            "' '",
            "lpad(cast(hours_of_week.hour_of_day as " ~ dbt.type_string() ~ "), 2, '0')",
            "'h'"
        ]) }} as hour_of_week_label,

        -- numerics
        cast(hours_of_week.hour_of_week as {{ dbt.type_int() }}) as hour_of_week,
        hours_of_week.iso_day_of_week,
        hours_of_week.hour_of_day,
        cast(coalesce(arrivals.leads, 0) as {{ dbt.type_bigint() }}) as leads,
        cast(coalesce(arrivals.leads_answered, 0) as {{ dbt.type_bigint() }}) as leads_answered,
        cast(coalesce(arrivals.leads_answered_within_1h, 0) as {{ dbt.type_bigint() }}) as leads_answered_within_1h,
        cast(coalesce(arrivals.leads_reached_fmot, 0) as {{ dbt.type_bigint() }}) as leads_reached_fmot,
        case
            when arrivals.leads > 0
                then cast(arrivals.leads_answered_within_1h as {{ type_double() }}) / arrivals.leads
        end as share_answered_within_1h,
        {{ wilson_interval_lower('arrivals.leads_answered_within_1h', 'arrivals.leads') }}
            as share_answered_within_1h_ci95_lower,
        {{ wilson_interval_upper('arrivals.leads_answered_within_1h', 'arrivals.leads') }}
            as share_answered_within_1h_ci95_upper,
        case when time_logs_present.has_time_logs then coalesce(weekday_hours.outreach_hours, 0) end
            as weekday_outreach_hours,

        -- booleans
        working_hours.iso_day_of_week is not null as is_working_hour

    from hours_of_week
    cross join time_logs_present
    left join arrivals
        on
            hours_of_week.iso_day_of_week = arrivals.arrival_iso_day_of_week
            and hours_of_week.hour_of_day = arrivals.arrival_hour_of_day
    left join weekday_hours
        on hours_of_week.iso_day_of_week = weekday_hours.iso_day_of_week
    left join working_hours
        on
            hours_of_week.iso_day_of_week = working_hours.iso_day_of_week
            and hours_of_week.hour_of_day >= working_hours.opens_at_hour
            and hours_of_week.hour_of_day < working_hours.closes_at_hour

)

select * from final
