{#- The raw tables as the engine sees them before any model runs (an on-run-start hook).
    DuckDB and PostgreSQL: the ingestion wrote them into the warehouse itself, nothing to do.
    Spark: the ingestion wrote each raw table, the load log and the quarantine as a Parquet folder
    under MOT_SPARK_DIR/raw/<schema>/<table>; each becomes an external table over that folder,
    dropped and declared again every run so Spark reads the folder as it is now (its schema and
    files), never a cached listing. Dropping an external table leaves its files alone. -#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set raw_dir = env_var('MOT_SPARK_DIR', 'warehouse/spark') ~ '/raw' -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- set location = raw_dir ~ '/' ~ source.schema ~ '/' ~ source.identifier -%}
            {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- do run_query('drop table if exists ' ~ source.schema ~ '.' ~ source.identifier) -%}
            {%- do run_query('create table ' ~ source.schema ~ '.' ~ source.identifier
                             ~ " using parquet location '" ~ location ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
