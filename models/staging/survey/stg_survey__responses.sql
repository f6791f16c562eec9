with

source as (

    select * from {{ source('survey', 'survey_responses') }}

),

-- identical answers without a response id are different people: only a declared id is deduplicated
deduplicated as (

    {{ deduplicate('source', row_identity('response_id')) }}

),

renamed as (

    select
        -- ids
        {{ row_identity('response_id') }} as response_id,
        cast(nullif(trim(contact_id), '') as {{ dbt.type_string() }}) as contact_id,

        -- strings
        cast(lower(trim(survey_type)) as {{ dbt.type_string() }}) as survey_type,
        cast(submitted_at_precision as {{ dbt.type_string() }}) as submitted_at_precision,

        -- numerics
        cast(nps_score as {{ dbt.type_int() }}) as nps_score,
        cast(csat_score as {{ dbt.type_int() }}) as csat_score,

        -- booleans (free-text comments may hold personal data and are dropped)
        nullif(trim(comment), '') is not null as has_comment,
        response_id is not null as has_declared_id,

        -- timestamps (UTC)
        {{ utc_timestamp('submitted_at') }} as submitted_at,
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
