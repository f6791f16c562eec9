{#- Equality that matches NULL with NULL: breakdowns keep a missing value as NULL (never merged into
    a real category), and such rows must still join to their own totals. Written out because
    `is not distinct from` is not on Spark and `<=>` is not on PostgreSQL. -#}
{% macro null_safe_equals(left, right) -%}
    ({{ left }} = {{ right }} or ({{ left }} is null and {{ right }} is null))
{%- endmacro %}
