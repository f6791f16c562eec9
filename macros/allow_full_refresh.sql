{#- The incremental models' full_refresh config, as Snowplow's allow_refresh(): a stray
    `--full-refresh` does not drop the event-grain history and the sessions cut from it (at
    100x a rebuild is the whole night, and raw tables may be pruned one day). It only follows
    the flag when var allow_full_refresh is true: `dbt build --full-refresh --vars
    '{allow_full_refresh: true}'`. none = follow the flag; false = never rebuild. -#}
{% macro allow_full_refresh() -%}
    {{ return(none if var('allow_full_refresh', false) else false) }}
{%- endmacro %}
