with

source as (

    select * from {{ source('reviews', 'reviews_reviews') }}

),

deduplicated as (

    {{ deduplicate('source', 'review_id') }}

),

renamed as (

    select
        -- ids
        cast(review_id as {{ dbt.type_string() }}) as review_id,
        cast(nullif(trim(reference_id), '') as {{ dbt.type_string() }}) as reference_id,

        -- pii, pseudonymised: name and body are dropped, the e-mail only survives hashed
        {{ hash_email('reviewer_email') }} as reviewer_email_sha256,

        -- strings
        cast(title as {{ dbt.type_string() }}) as title,

        -- numerics
        cast(rating as {{ dbt.type_int() }}) as rating,

        -- booleans
        nullif(trim(body), '') is not null as has_body,

        -- timestamps (UTC)
        cast({{ to_utc('published_at', '_source_timezone') }} as {{ dbt.type_timestamp() }}) as published_at,
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
