{#- A pair of journey steps as one ASCII label a BI tool can put in a legend or filter on,
    e.g. 'zmot -> purchase' (the two step codes of dim_moments, in journey order). -#}
{% macro moment_pair_label(from_column, to_column) -%}
    {{ dbt.concat([from_column, "' -> '", to_column]) }}
{%- endmacro %}
