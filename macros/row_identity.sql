{#- A row's identity: its declared id, or, where the export has none (an NPS export without response
    ids), the file, row and mapping it came from, so identical answers given by different people
    all count. -#}
{% macro row_identity(id_column) -%}
    coalesce(
        cast({{ id_column }} as {{ dbt.type_string() }}),
        {{ dbt.concat([
            "_source_file", "':'", "cast(_row_number as " ~ dbt.type_string() ~ ")",
            "coalesce(" ~ dbt.concat(["':'", "_mapping"]) ~ ", '')",
        ]) }}
    )
{%- endmacro %}
