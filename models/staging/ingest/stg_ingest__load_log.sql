with

source as (

    select * from {{ source('ingest', 'load_log') }}

),

renamed as (

    select
        -- ids
        cast(load_id as {{ dbt.type_string() }}) as load_id,

        -- strings
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        -- which mapping of the table read the file (NULL for a table with one mapping)
        cast(mapping as {{ dbt.type_string() }}) as mapping_name,
        cast(file_checksum as {{ dbt.type_string() }}) as file_checksum,
        cast(status as {{ dbt.type_string() }}) as status,

        -- numerics
        cast(rows_read as {{ dbt.type_bigint() }}) as rows_read,
        cast(rows_loaded as {{ dbt.type_bigint() }}) as rows_loaded,
        cast(rows_quarantined as {{ dbt.type_bigint() }}) as rows_quarantined,
        cast(rows_skipped as {{ dbt.type_bigint() }}) as rows_skipped,
        cast(rows_duplicate_id as {{ dbt.type_bigint() }}) as rows_duplicate_id,

        -- booleans: these statuses put the file's rows in the raw table
        status in ('loaded', 'replaced') as has_loaded_rows,

        -- timestamps
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

    from source

)

select * from renamed
