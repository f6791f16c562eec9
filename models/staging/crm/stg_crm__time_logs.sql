with

source as (

    select * from {{ source('crm', 'crm_time_logs') }}

),

-- time logs have no id of their own: a row is its content
deduplicated as (

    {{ deduplicate('source', 'owner_id, logged_on, activity, hours') }}

),

renamed as (

    select
        -- ids
        {{ surrogate_key(['owner_id', 'logged_on', 'activity', 'hours']) }} as time_log_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings
        cast(lower(nullif(trim(activity), '')) as {{ dbt.type_string() }}) as activity,

        -- numerics
        cast(hours as {{ type_double() }}) as hours,

        -- dates (a calendar day in the CRM's local time, not converted)
        cast(logged_on as date) as logged_on,

        -- timestamps
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
