{#- A file delivered again replaces its earlier rows in the raw table (the loader deletes and
    reloads it), so every raw row of a file carries the file's latest load time. An incremental
    staging model that holds a row of that file with an older load time holds a row the source
    has since changed or deleted: these macros find such rows and remove them, so a night gives
    what a full refresh of the same files gives. -#}

{#- The files loaded since the model's lookback cutoff, with the time of their current load. -#}
{% macro redelivered_files(source_relation) -%}
    select
        _source_file as source_file,
        min(_loaded_at) as loaded_at
    from {{ source_relation }}
    {{ incremental_lookback_filter() }}
    group by _source_file
{%- endmacro %}

{#- The values of `column` in this model's rows that came from an earlier load of a file loaded
    again: the keys (or visitors) whose rows must be read again from the whole raw table. -#}
{% macro keys_of_redelivered_rows(source_relation, column) -%}
    select held.{{ column }}
    from {{ this }} as held
    inner join ({{ redelivered_files(source_relation) }}) as reloaded
        on
            held.source_file = reloaded.source_file
            and held.loaded_at < reloaded.loaded_at
{%- endmacro %}

{#- Post-hook: drop the rows the new load of their file no longer holds. Runs after the
    delete+insert, so a key re-read from another file carries that file's name and stays.
    Portable DuckDB/PostgreSQL DELETE; Spark needs a Delta or Iceberg table for DELETE. -#}
{% macro delete_redelivered_rows(source_relation) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where exists (
        select 1
        from ({{ redelivered_files(source_relation) }}) as reloaded
        where
            reloaded.source_file = {{ this }}.source_file
            and {{ this }}.loaded_at < reloaded.loaded_at
    )
    {%- endif -%}
{%- endmacro %}
