{#- Incremental, unlike the other staging models: GA4 exports are the source with tens of
    millions of rows, and a view would redo this dedupe for every reader and test. This is the
    one place web events are written; everything downstream reads sessions. A late event (an old
    event_at in a new load) is caught because the filter is on when the row was loaded. -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    full_refresh=allow_full_refresh(),
    post_hook="{{ delete_redelivered_rows(source('web', 'web_events')) }}",
) }}

with

source as (

    select * from {{ source('web', 'web_events') }}
    {{ incremental_lookback_filter() }}
    {%- if is_incremental() %}
    -- a visitor with rows of a re-delivered file is read whole again: a deleted event may
    -- have been the copy the dedupe kept of an event another file also holds
    or user_pseudo_id in (
        {{ keys_of_redelivered_rows(source('web', 'web_events'), 'user_pseudo_id') }}
    )
    {%- endif %}

),

-- GA4 has no event id: an event is its visitor, time, name and parameters (hashed once).
keyed as (

    select
        {{ surrogate_key(['user_pseudo_id', 'event_timestamp_micros', 'event_name', 'event_params']) }}
            as event_id,
        user_pseudo_id,
        user_id,
        ga_session_id,
        email_sha256,
        event_name,
        page_location,
        form_id,
        requested_contact_method,
        traffic_source,
        traffic_medium,
        traffic_campaign,
        device_category,
        event_date,
        event_timestamp_micros,
        _loaded_at,
        _source_file,
        _row_number
    from source

),

-- Duplicates are found by the key; the window carries no event_params (the longest column).
deduplicated as (

    {{ deduplicate('keyed', 'event_id') }}

),

renamed as (

    select
        -- ids
        event_id,
        cast(user_pseudo_id as {{ dbt.type_string() }}) as user_pseudo_id,
        cast(nullif(trim(user_id), '') as {{ dbt.type_string() }}) as user_id,
        cast(ga_session_id as {{ dbt.type_bigint() }}) as ga_session_id,
        cast(lower(nullif(trim(email_sha256), '')) as {{ dbt.type_string() }}) as email_sha256,

        -- strings
        cast(event_name as {{ dbt.type_string() }}) as event_name,
        cast(page_location as {{ dbt.type_string() }}) as page_location,
        cast(nullif(trim(form_id), '') as {{ dbt.type_string() }}) as form_id,
        cast(lower(nullif(trim(requested_contact_method), '')) as {{ dbt.type_string() }})
            as requested_contact_method,
        cast(nullif(trim(traffic_source), '') as {{ dbt.type_string() }}) as traffic_source,
        cast(lower(nullif(trim(traffic_medium), '')) as {{ dbt.type_string() }}) as traffic_medium,
        cast(nullif(trim(traffic_campaign), '') as {{ dbt.type_string() }}) as traffic_campaign,
        cast(lower(nullif(trim(device_category), '')) as {{ dbt.type_string() }}) as device_category,

        -- dates
        cast(event_date as {{ dbt.type_string() }}) as event_date,

        -- numerics
        cast(event_timestamp_micros as {{ dbt.type_bigint() }}) as event_timestamp_micros,

        -- timestamps (UTC: GA4 event time is epoch microseconds)
        cast({{ epoch_micros_to_timestamp('event_timestamp_micros') }} as {{ dbt.type_timestamp() }})
            as event_at,
        _loaded_at as loaded_at,
        cast(_source_file as {{ dbt.type_string() }}) as source_file

    from deduplicated

)

select * from renamed
