{#- Per prospect, the moments not flagged out of order, taken in time order (journey order on
    ties), never step back in the journey: each has a moment_order above the one before it.
    Fails with the offending prospect, moment and the moment before it. -#}
{% test moments_in_journey_order(model, prospect_column='prospect_id', moment_column='moment',
                                 order_column='moment_order', reached_at_column='reached_at',
                                 flag_column='is_out_of_order') %}
with

in_order_moments as (

    select
        {{ prospect_column }} as prospect_id,
        {{ moment_column }} as moment,
        {{ order_column }} as moment_order,
        lag({{ moment_column }}) over (
            partition by {{ prospect_column }}
            order by {{ reached_at_column }}, {{ order_column }}
        ) as previous_moment,
        lag({{ order_column }}) over (
            partition by {{ prospect_column }}
            order by {{ reached_at_column }}, {{ order_column }}
        ) as previous_moment_order
    from {{ model }}
    where not {{ flag_column }}

)

select *
from in_order_moments
where previous_moment_order >= moment_order

{% endtest %}
