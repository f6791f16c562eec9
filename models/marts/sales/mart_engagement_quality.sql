{#- One row per value-destroying pattern of the first response (DESIGN.md): how often it happens
    among the leads it can happen to, and the fmot rate with and without it. "Email when a call was
    requested" can only happen to leads that asked for a call; the others to every answered lead. -#}
{%- set patterns = [
    ('email_when_call_requested', 'is_email_when_call_requested', 'is_call_requested'),
    ('responder_unqualified', 'is_responder_unqualified', 'true'),
    ('templated_first_reply', 'is_templated_first_reply', 'true'),
    ('deferral_without_follow_up', 'is_deferral_without_follow_up', 'true'),
    ('asked_again_for_form_data', 'is_asked_again_for_form_data', 'true'),
] -%}
with

first_responses as (

    select * from {{ ref('int_first_responses_assessed') }}

),

leads_by_pattern as (

    {% for name, flag, eligible in patterns %}
    select
        '{{ name }}' as pattern,
        {{ loop.index }} as pattern_order,
        {{ flag }} as has_pattern,
        has_reached_fmot
    from first_responses
    where {{ eligible }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

counted as (

    select
        pattern,
        pattern_order,
        count(*) as eligible_leads,
        sum(case when has_pattern then 1 else 0 end) as leads_with_pattern,
        sum(case when has_pattern and has_reached_fmot then 1 else 0 end) as fmot_with_pattern,
        sum(case when not has_pattern and has_reached_fmot then 1 else 0 end) as fmot_without_pattern
    from leads_by_pattern
    group by pattern, pattern_order

),

final as (

    select
        -- strings
        cast(pattern as {{ dbt.type_string() }}) as pattern,

        -- numerics
        cast(pattern_order as {{ dbt.type_int() }}) as pattern_order,
        cast(eligible_leads as {{ dbt.type_bigint() }}) as eligible_leads,
        cast(leads_with_pattern as {{ dbt.type_bigint() }}) as leads_with_pattern,
        cast(
            cast(leads_with_pattern as {{ type_double() }}) / nullif(eligible_leads, 0) as {{ type_double() }}
        ) as pattern_rate,
        cast({{ wilson_interval_lower('leads_with_pattern', 'eligible_leads') }} as {{ type_double() }})
            as pattern_rate_ci95_lower,
        cast({{ wilson_interval_upper('leads_with_pattern', 'eligible_leads') }} as {{ type_double() }})
            as pattern_rate_ci95_upper,
        cast(fmot_with_pattern as {{ dbt.type_bigint() }}) as leads_reached_fmot_with_pattern,
        cast(fmot_without_pattern as {{ dbt.type_bigint() }}) as leads_reached_fmot_without_pattern,
        cast(
            cast(fmot_with_pattern as {{ type_double() }}) / nullif(leads_with_pattern, 0)
            as {{ type_double() }}
        ) as fmot_rate_with_pattern,
        cast(
            cast(fmot_without_pattern as {{ type_double() }})
            / nullif(eligible_leads - leads_with_pattern, 0)
            as {{ type_double() }}
        ) as fmot_rate_without_pattern

    from counted

)

select * from final
