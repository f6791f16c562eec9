{#- Custom schemas are used verbatim (staging, intermediate, marts, seeds) so BI and
    the publish step can rely on fixed names whatever the target's default schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
