{#- How the incremental staging models are materialized on each engine.
    DuckDB and PostgreSQL: incremental, delete+insert on the model's unique key.
    Spark: a table rebuilt in full every run. dbt-spark's key-aware strategy is merge, which needs a
    Delta, Iceberg or Hudi table (none installable here); on plain Parquet it offers append (would
    duplicate a re-delivered file's rows, it ignores unique_key) and insert_overwrite (without a
    partition column it replaces the whole table with just the new rows). A full rebuild gives the
    same rows as the incremental path; it costs the dedupe over every row each night. -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
