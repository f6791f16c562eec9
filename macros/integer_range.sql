{#- The integers 0 … 10^digits - 1 as one column, built from a cross join of digit rows: portable,
    where generate_series / range() are not (DuckDB and PostgreSQL only). -#}
{% macro integer_range(digits, column_name) -%}
    {%- set places = range(digits) | list -%}
    select
        {% for place in places -%}
        d{{ place }}.digit * {{ 10 ** place }}{% if not loop.last %} + {% endif %}
        {%- endfor %} as {{ column_name }}
    from
        {% for place in places -%}
        (
            {% for digit in range(10) -%}
            select {{ digit }} as digit{% if not loop.last %} union all {% endif %}
            {%- endfor %}
        ) as d{{ place }}{% if not loop.last %}
        cross join{% endif %}
        {% endfor %}
{%- endmacro %}
