{#- dbt_utils.unique_combination_of_columns is not installable here; a grain of several
    columns is declared with this instead. -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as rows_in_grain
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
