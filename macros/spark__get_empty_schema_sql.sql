{#- Contracts on Spark. The marts' YAML names types as DuckDB and PostgreSQL spell them; dbt checks a
    contract by casting NULL to each declared type and comparing the engine's own column types,
    and Spark rejects `varchar` without a length, `text` and `double precision`. Their Spark names
    are used instead, so the same YAML enforces the same contract on every engine. -#}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set spark_names = {
        'varchar': 'string', 'text': 'string', 'character varying': 'string',
        'double precision': 'double', 'float8': 'double', 'integer': 'int', 'int4': 'int', 'int8': 'bigint',
    } -%}
    {%- set spark_columns = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set declared = (column['data_type'] or '') | trim | lower -%}
        {%- set spark_column = column.copy() if column is mapping else column -%}
        {%- if column is mapping and declared in spark_names -%}
            {%- do spark_column.update({'data_type': spark_names[declared]}) -%}
        {%- endif -%}
        {%- do spark_columns.update({name: spark_column}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(spark_columns)) }}
{%- endmacro %}
