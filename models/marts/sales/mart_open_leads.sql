{#- Leads still waiting for a first meaningful response at the as-of time: reached zmot, no fmot
    yet, and younger than open_lead_max_age_days (older ones are lost, not waiting). Reads only
    the lead-level tables, so an hourly refresh costs one small scan. -#}
with

supported as (

    select * from {{ ref('int_moments_supported') }}

),

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

open_leads as (

    select
        leads.*,
        as_of.as_of_at,
        {{ seconds_between('leads.zmot_at', 'as_of.as_of_at') }} / 3600.0 as age_hours,
        -- no response at all is measured up to now; a late response is measured up to its time
        {{ seconds_between(
            'leads.zmot_at',
            'case when leads.first_response_at <= as_of.as_of_at then leads.first_response_at else as_of.as_of_at end'
        ) }} / 3600.0 as hours_to_first_response_or_now
    from leads
    cross join as_of
    where
        -- a lead can only be seen waiting for fmot when the data could show fmot (mart_coverage)
        exists (
            select 1 from supported
            where moment = 'fmot' and is_supported
        )
        and leads.zmot_at <= as_of.as_of_at
        and (leads.fmot_at is null or leads.fmot_at > as_of.as_of_at)
        and leads.zmot_at > {{ dbt.dateadd('day', -1 * var('open_lead_max_age_days'), 'as_of.as_of_at') }}

),

final as (

    select
        -- ids
        cast(prospect_id as {{ dbt.type_string() }}) as prospect_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings
        cast(team as {{ dbt.type_string() }}) as team,
        cast(lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(requested_channel as {{ dbt.type_string() }}) as requested_channel,

        -- numerics
        cast(age_hours as {{ type_double() }}) as age_hours,

        -- booleans
        coalesce(first_response_at <= as_of_at, false) as has_response_attempt,
        hours_to_first_response_or_now > {{ var('open_lead_sla_hours') }} as is_sla_breached,

        -- timestamps
        cast(zmot_at as {{ dbt.type_timestamp() }}) as zmot_at,
        cast(case when first_response_at <= as_of_at then first_response_at end as {{ dbt.type_timestamp() }})
            as first_response_at,
        cast(as_of_at as {{ dbt.type_timestamp() }}) as as_of_at

    from open_leads

)

select * from final
