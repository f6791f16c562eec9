{#- Vendor enumerations arrive as 'Closed Won', 'closedwon', 'CLOSED_WON'…; compare one form. -#}
{% macro normalize_code(expr) -%}
    replace(replace(lower(trim({{ expr }})), ' ', ''), '_', '')
{%- endmacro %}

{#- Render a list var as a SQL literal list for `in (...)`. -#}
{% macro sql_list(values) -%}
    {%- for value in values -%}
        '{{ value }}'{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}
