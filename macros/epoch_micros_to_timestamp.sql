{#- GA4 exports event time as microseconds since the epoch (UTC); the result is a
    naive UTC timestamp like every other *_at column. -#}
{% macro epoch_micros_to_timestamp(micros_expr) -%}
    {{ return(adapter.dispatch('epoch_micros_to_timestamp', 'moments_of_truth')(micros_expr)) }}
{%- endmacro %}

{% macro default__epoch_micros_to_timestamp(micros_expr) -%}
    (to_timestamp(({{ micros_expr }}) / 1000000.0) at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__epoch_micros_to_timestamp(micros_expr) -%}
    make_timestamp(cast({{ micros_expr }} as bigint))
{%- endmacro %}

{% macro spark__epoch_micros_to_timestamp(micros_expr) -%}
    timestamp_micros({{ micros_expr }})
{%- endmacro %}
