{#- A raw timestamp as UTC. Exports write naive local time of the source's zone (_source_timezone),
    converted here; a date alone (its <column>_precision is 'day') is a calendar day, which has no
    time zone: converting its midnight would move it to the previous day east of UTC. -#}
{% macro utc_timestamp(column, precision_column=none) -%}
    {%- set precision_column = precision_column or column ~ '_precision' -%}
    cast(
        case
            when {{ precision_column }} = 'day' then cast({{ column }} as {{ dbt.type_timestamp() }})
            else {{ to_utc(column, '_source_timezone') }}
        end as {{ dbt.type_timestamp() }}
    )
{%- endmacro %}
