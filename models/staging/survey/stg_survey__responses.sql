with

source as (

    select * from {{ source('survey', 'survey_responses') }}

),

deduplicated as (

    {{ deduplicate('source', 'response_id') }}

),

renamed as (

    select
        -- ids
        cast(response_id as {{ dbt.type_string() }}) as response_id,
        cast(nullif(trim(contact_id), '') as {{ dbt.type_string() }}) as contact_id,

        -- strings
        cast(lower(trim(survey_type)) as {{ dbt.type_string() }}) as survey_type,

        -- numerics
        cast(nps_score as {{ dbt.type_int() }}) as nps_score,
        cast(csat_score as {{ dbt.type_int() }}) as csat_score,

        -- booleans (free-text comments may hold personal data and are dropped)
        nullif(trim(comment), '') is not null as has_comment,

        -- timestamps (UTC)
        cast({{ to_utc('submitted_at', '_source_timezone') }} as {{ dbt.type_timestamp() }}) as submitted_at,
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
