{#- The wall-clock time in a time zone of a UTC timestamp (the inverse of to_utc): working hours
    are local, and DST moves them against UTC twice a year. -#}
{% macro from_utc(timestamp_expr, timezone_expr) -%}
    {{ return(adapter.dispatch('from_utc', 'moments_of_truth')(timestamp_expr, timezone_expr)) }}
{%- endmacro %}

{% macro default__from_utc(timestamp_expr, timezone_expr) -%}
    (({{ timestamp_expr }}) at time zone 'UTC') at time zone ({{ timezone_expr }})
{%- endmacro %}

{% macro duckdb__from_utc(timestamp_expr, timezone_expr) -%}
    timezone({{ timezone_expr }}, timezone('UTC', {{ timestamp_expr }}))
{%- endmacro %}

{% macro spark__from_utc(timestamp_expr, timezone_expr) -%}
    from_utc_timestamp({{ timestamp_expr }}, {{ timezone_expr }})
{%- endmacro %}

{#- ISO day of week of a date: 1 = Monday … 7 = Sunday. -#}
{% macro iso_day_of_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'moments_of_truth')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expr) -%}
    cast(extract(isodow from {{ date_expr }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date_expr) -%}
    cast(extract(dayofweek_iso from {{ date_expr }}) as {{ dbt.type_int() }})
{%- endmacro %}
