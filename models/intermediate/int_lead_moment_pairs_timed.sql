{#- One row per lead and pair of journey steps (moment_pairs seed) whose first step the lead had
    reached by the as-of time: the time to the second step, or, while it has not happened by the
    as-of time, the time waited so far (censored, not a failure). Only pairs whose two steps the
    data supports (int_moments_supported) are here: a CRM export without activities still has
    zmot -> purchase, and no zmot -> fmot made of zeros.
    Precision travels: when any lead of a pair has a step known to the day only, the whole pair is
    measured in whole calendar days (a date has no time of day to subtract). A second step dated
    before the first (a deal won before the first contact day) counts as reached, at duration 0. -#}
{%- set steps = ['zmot', 'first_response', 'fmot', 'purchase', 'smot', 'umot', 'rmot'] -%}
with

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

moment_pairs as (

    select * from {{ ref('moment_pairs') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

lead_steps as (

    {% for step in steps %}
    select
        prospect_id,
        '{{ step }}' as step,
        {{ step }}_at as reached_at,
        {{ step }}_at_precision as reached_at_precision
    from leads
    where {{ step }}_at is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

supported_pairs as (

    select moment_pairs.*
    from moment_pairs
    inner join supported as from_supported
        on moment_pairs.from_step = from_supported.moment
    inner join supported as to_supported
        on moment_pairs.to_step = to_supported.moment
    where from_supported.is_supported and to_supported.is_supported

),

pairs as (

    select
        leads.prospect_id,
        supported_pairs.pair_order,
        supported_pairs.from_step,
        supported_pairs.to_step,
        leads.lead_source,
        leads.zmot_channel,
        leads.requested_channel,
        leads.team,
        leads.cohort_month,
        from_steps.reached_at as started_at,
        -- a step after the as-of time has not happened yet as far as this build knows
        case when to_steps.reached_at <= as_of.as_of_at then to_steps.reached_at end as ended_at,
        coalesce(
            from_steps.reached_at_precision = 'day'
            or (to_steps.reached_at <= as_of.as_of_at and to_steps.reached_at_precision = 'day'),
            false
        ) as is_day_precise,
        as_of.as_of_at
    from leads
    cross join as_of
    cross join supported_pairs
    inner join lead_steps as from_steps
        on
            leads.prospect_id = from_steps.prospect_id
            and supported_pairs.from_step = from_steps.step
    left join lead_steps as to_steps
        on
            leads.prospect_id = to_steps.prospect_id
            and supported_pairs.to_step = to_steps.step
    where from_steps.reached_at <= as_of.as_of_at

),

pairs_with_unit as (

    select
        *,
        max(case when is_day_precise then 1 else 0 end) over (partition by pair_order) = 1
            as is_pair_measured_in_days
    from pairs

),

final as (

    select
        -- ids
        prospect_id,

        -- strings
        from_step as from_moment,
        to_step as to_moment,
        case when is_pair_measured_in_days then 'day' else 'hour' end as duration_unit,
        lead_source,
        zmot_channel,
        requested_channel,
        team,

        -- numerics
        pair_order,
        greatest(
            {{ seconds_between('started_at', 'coalesce(ended_at, as_of_at)') }} / 3600.0,
            0
        ) as duration_hours,
        case
            when is_pair_measured_in_days
                then cast(greatest(
                    {{ dbt.datediff('cast(started_at as date)', 'cast(coalesce(ended_at, as_of_at) as date)', 'day') }},
                    0
                ) as {{ type_double() }})
            else greatest(
                {{ seconds_between('started_at', 'coalesce(ended_at, as_of_at)') }} / 86400.0,
                0
            )
        end as duration_days,

        -- booleans
        ended_at is not null as is_event,
        coalesce(ended_at < started_at, false) as is_reached_before_start,

        -- dates
        cohort_month,

        -- timestamps
        started_at,
        ended_at,
        as_of_at

    from pairs_with_unit

)

select * from final
