{#- Source exports carry naive local timestamps; the zone comes from each row
    (_source_timezone) so one model serves sources declared in different zones. -#}
{% macro to_utc(timestamp_expr, timezone_expr) -%}
    {{ return(adapter.dispatch('to_utc', 'moments_of_truth')(timestamp_expr, timezone_expr)) }}
{%- endmacro %}

{% macro default__to_utc(timestamp_expr, timezone_expr) -%}
    (({{ timestamp_expr }}) at time zone ({{ timezone_expr }})) at time zone 'UTC'
{%- endmacro %}

{% macro duckdb__to_utc(timestamp_expr, timezone_expr) -%}
    timezone('UTC', timezone({{ timezone_expr }}, {{ timestamp_expr }}))
{%- endmacro %}

{% macro spark__to_utc(timestamp_expr, timezone_expr) -%}
    to_utc_timestamp({{ timestamp_expr }}, {{ timezone_expr }})
{%- endmacro %}
