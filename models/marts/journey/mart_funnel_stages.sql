{#- The funnel as a BI tool draws it: one row per journey step in order, each lead counted once per
    step it reached by the as-of time. The main path (zmot, first response, fmot, purchase, smot,
    umot) and the referral branch (rmot, a customer bringing a new lead) are apart, so a funnel
    chart of branch = 'main' never counts a step twice. Only steps the data supports have a row
    (mart_coverage); conversion_from_previous divides by the previous supported step of the path. -#}
{%- set stages = [
    ('zmot', 'main'), ('first_response', 'main'), ('fmot', 'main'), ('purchase', 'main'),
    ('smot', 'main'), ('umot', 'main'), ('rmot', 'referral'),
] -%}
with

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

steps as (

    select * from {{ ref('journey_steps') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

reached as (

    {% for stage, branch in stages %}
    select
        '{{ stage }}' as stage,
        '{{ branch }}' as branch,
        sum(case when leads.{{ stage }}_at <= as_of.as_of_at then 1 else 0 end) as prospects_reached
    from leads
    cross join as_of
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

stages_supported as (

    select
        reached.*,
        steps.step_order,
        steps.step_label
    from reached
    inner join steps
        on reached.stage = steps.step
    inner join supported
        on reached.stage = supported.moment
    where supported.is_supported

),

sequenced as (

    select
        *,
        lag(prospects_reached) over (partition by branch order by step_order) as previous_reached,
        lag(stage) over (partition by branch order by step_order) as previous_stage,
        -- the referral branch starts from the customers (purchase) of the main path
        max(case when stage = 'zmot' then prospects_reached end) over () as leads,
        max(case when stage = 'purchase' then prospects_reached end) over () as customers,
        max(step_order) over (partition by branch) as last_step_order
    from stages_supported

),

final as (

    select
        -- strings
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(step_label as {{ dbt.type_string() }}) as stage_label,
        cast(branch as {{ dbt.type_string() }}) as branch,
        cast(
            case when branch = 'referral' then 'purchase' else previous_stage end as {{ dbt.type_string() }}
        ) as previous_stage,

        -- numerics
        cast(step_order as {{ dbt.type_int() }}) as stage_order,
        cast(prospects_reached as {{ dbt.type_bigint() }}) as prospects_reached,
        cast(
            case when branch = 'referral' then customers else previous_reached end as {{ dbt.type_bigint() }}
        ) as previous_stage_reached,
        cast(leads as {{ dbt.type_bigint() }}) as leads,
        cast(
            cast(prospects_reached as {{ type_double() }})
            / nullif(case when branch = 'referral' then customers else previous_reached end, 0)
            as {{ type_double() }}
        ) as conversion_from_previous,
        cast(cast(prospects_reached as {{ type_double() }}) / nullif(leads, 0) as {{ type_double() }})
            as share_of_leads,

        -- booleans
        step_order = last_step_order as is_final_stage

    from sequenced

)

select * from final
