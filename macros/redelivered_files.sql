{#- A file delivered again replaces its earlier rows in the raw table (the loader deletes and
    reloads the file's rows), so a row this incremental model holds from a (file, load time)
    the raw table no longer has is a row the source has since changed or deleted. These macros
    find such rows and remove them, so a night gives what a full refresh of the same files
    gives. The comparison is over distinct (file, load time) pairs: one per load of a file, a
    hash aggregate over two columns, with no lookback window to get wrong. -#}

{#- (source_file, loaded_at) of the loads this model holds rows of that the raw table no longer has. -#}
{% macro stale_loads(source_relation) -%}
    select distinct source_file, loaded_at
    from {{ this }}
    except
    select distinct _source_file, _loaded_at
    from {{ source_relation }}
{%- endmacro %}

{#- The values of `column` in this model's rows of stale loads: the keys (or visitors) whose rows
    must be read again from the whole raw table (another file may hold a copy of a deleted row). -#}
{% macro keys_of_redelivered_rows(source_relation, column) -%}
    select held.{{ column }}
    from {{ this }} as held
    inner join ({{ stale_loads(source_relation) }}) as stale
        on
            held.source_file = stale.source_file
            and held.loaded_at = stale.loaded_at
{%- endmacro %}

{#- Post-hook: drop the rows of stale loads that the delete+insert did not replace. A key re-read
    from another file carries that file's name and load, so it stays. Portable DuckDB/PostgreSQL
    DELETE; Spark needs a Delta or Iceberg table for DELETE. -#}
{% macro delete_redelivered_rows(source_relation) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where exists (
        select 1
        from ({{ stale_loads(source_relation) }}) as stale
        where
            stale.source_file = {{ this }}.source_file
            and stale.loaded_at = {{ this }}.loaded_at
    )
    {%- endif -%}
{%- endmacro %}
