{#- One row per lead and moment-to-moment transition it entered (its start moment was reached by
    the as-of time): the time to the next moment, or, while the next moment has not happened by
    the as-of time, the time it has been waiting so far (censored: not a failure). -#}
{%- set transitions = [
    (1, 'zmot', 'first_response', 'zmot_at', 'first_response_at'),
    (2, 'zmot', 'fmot', 'zmot_at', 'fmot_at'),
    (3, 'fmot', 'purchase', 'fmot_at', 'purchase_at'),
    (4, 'purchase', 'smot', 'purchase_at', 'smot_at'),
    (5, 'smot', 'umot', 'smot_at', 'umot_at'),
] -%}
with

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

transitions as (

    {% for order, from_moment, to_moment, start_col, end_col in transitions %}
    select
        leads.prospect_id,
        '{{ from_moment }}_to_{{ to_moment }}' as transition,
        {{ order }} as transition_order,
        '{{ from_moment }}' as from_moment,
        '{{ to_moment }}' as to_moment,
        leads.lead_source,
        leads.{{ start_col }} as started_at,
        -- a moment after the as-of time has not happened yet as far as this build knows
        case when leads.{{ end_col }} <= as_of.as_of_at then leads.{{ end_col }} end as ended_at,
        as_of.as_of_at
    from leads
    cross join as_of
    where leads.{{ start_col }} <= as_of.as_of_at
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        prospect_id,
        transition,
        transition_order,
        from_moment,
        to_moment,
        lead_source,
        ended_at is not null as is_event,
        -- clock skew between sources can put a moment a hair before its predecessor
        greatest(
            {{ seconds_between('started_at', 'coalesce(ended_at, as_of_at)') }} / 3600.0,
            0
        ) as duration_hours,
        started_at,
        ended_at,
        as_of_at
    from transitions

)

select * from final
