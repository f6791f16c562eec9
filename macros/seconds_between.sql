{#- Exact elapsed seconds (fractional). dbt.datediff counts crossed second boundaries,
    which would put a 299.6 s response into the 5-minute-plus bucket. -#}
{% macro seconds_between(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('seconds_between', 'moments_of_truth')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro default__seconds_between(start_expr, end_expr) -%}
    cast(extract(epoch from (({{ end_expr }}) - ({{ start_expr }}))) as {{ moments_of_truth.type_double() }})
{%- endmacro %}

{% macro duckdb__seconds_between(start_expr, end_expr) -%}
    (date_diff('microsecond', {{ start_expr }}, {{ end_expr }}) / 1000000.0)
{%- endmacro %}

{% macro spark__seconds_between(start_expr, end_expr) -%}
    ((unix_micros({{ end_expr }}) - unix_micros({{ start_expr }})) / 1000000.0)
{%- endmacro %}
