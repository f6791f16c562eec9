{#- The filter an incremental staging model puts on its source: only rows loaded since the newest
    load it already holds, less a lookback window (var incremental_lookback_hours), so rows of a
    load that overlapped the previous run are read again. Rows are replaced by their key
    (delete+insert), so reading a row twice is harmless. Portable: dbt.dateadd, no merge.
    MOT_INCREMENTAL_LOOKBACK_HOURS overrides the var without a --vars argument (the nightly job
    passes none): the benchmark's nights are minutes apart, not a day, and set it to 0 so the
    incremental night reads the new day only, as a real night a day later does. -#}
{% macro incremental_lookback_filter(loaded_at_column='_loaded_at', target_loaded_at_column='loaded_at') -%}
    {%- if is_incremental() -%}
    where {{ loaded_at_column }} >= (
        {%- set hours = env_var('MOT_INCREMENTAL_LOOKBACK_HOURS', '') or var('incremental_lookback_hours') %}
        select {{ dbt.dateadd('hour', -1 * (hours | int), 'max(' ~ target_loaded_at_column ~ ')') }}
        from {{ this }}
    )
    {%- endif -%}
{%- endmacro %}
