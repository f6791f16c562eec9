{#- The filter an incremental staging model puts on its source: only rows loaded since the newest
    load it already holds, less a lookback window (var incremental_lookback_hours), so rows of a
    load that overlapped the previous run are read again. Rows are replaced by their key
    (delete+insert), so reading a row twice is harmless. Portable: dbt.dateadd, no merge. -#}
{% macro incremental_lookback_filter(loaded_at_column='_loaded_at', target_loaded_at_column='loaded_at') -%}
    {%- if is_incremental() -%}
    where {{ loaded_at_column }} >= (
        select {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours'), 'max(' ~ target_loaded_at_column ~ ')') }}
        from {{ this }}
    )
    {%- endif -%}
{%- endmacro %}
