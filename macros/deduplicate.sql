{#- Raw tables keep exact duplicates and re-exported rows; keep one row per business key,
    the most recently loaded. row_number() instead of qualify: Postgres has no qualify. -#}
{% macro deduplicate(relation, partition_by, order_by="_loaded_at desc, _source_file desc, _row_number desc") -%}
    select *
    from (
        select
            _deduplicate_input.*,
            row_number() over (
                partition by {{ partition_by }}
                order by {{ order_by }}
            ) as _deduplicate_row_number
        from {{ relation }} as _deduplicate_input
    ) as _deduplicate_ranked
    where _deduplicate_row_number = 1
{%- endmacro %}
