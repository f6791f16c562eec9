{#- The continuous (interpolated) percentile of an expression as an aggregate: the SQL standard's
    ordered-set form where the engine has it, Spark's percentile() where it does not. -#}
{% macro percentile_cont(fraction, expression) -%}
    {{ return(adapter.dispatch('percentile_cont', 'moments_of_truth')(fraction, expression)) }}
{%- endmacro %}

{% macro default__percentile_cont(fraction, expression) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro spark__percentile_cont(fraction, expression) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}
