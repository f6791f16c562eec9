{#- The columns of every table in a schema, as rows (table_name, column_name).
    DuckDB and PostgreSQL: their information_schema. Spark's session catalog has no
    information_schema: the columns are listed through the adapter when the query is compiled. -#}
{% macro schema_columns(database, schema) -%}
    {{ return(adapter.dispatch('schema_columns')(database, schema)) }}
{%- endmacro %}

{% macro default__schema_columns(database, schema) -%}
    select
        table_name,
        column_name
    from information_schema.columns
    where
        lower(table_catalog) = '{{ database | lower }}'
        and lower(table_schema) = '{{ schema | lower }}'
{%- endmacro %}

{% macro spark__schema_columns(database, schema) -%}
    {%- set rows = [] -%}
    {%- if execute -%}
        {%- for table in run_query('show tables in ' ~ schema).columns['tableName'].values() -%}
            {%- set relation = api.Relation.create(schema=schema, identifier=table, type='table') -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do rows.append("('" ~ table ~ "', '" ~ column.name ~ "')") -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if rows -%}
        select table_name, column_name from values {{ rows | join(', ') }} as listed (table_name, column_name)
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as table_name,
            cast(null as {{ dbt.type_string() }}) as column_name
        where false
    {%- endif -%}
{%- endmacro %}
