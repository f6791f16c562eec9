{#- Post-hook of int_web_sessions_summarized: a visitor whose every event was deleted (a
    re-delivered file that lost them) has no event to re-cut, so delete+insert never reaches its
    sessions; they go here. -#}
{% macro delete_sessions_of_vanished_visitors() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where not exists (
        select 1
        from {{ ref('stg_web__events') }} as web_events
        where web_events.user_pseudo_id = {{ this }}.user_pseudo_id
    )
    {%- endif -%}
{%- endmacro %}
