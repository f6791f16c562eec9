with

source as (

    select * from {{ source('reviews', 'reviews_reviews') }}

),

-- reviews without an id are kept one per row: only a declared id is deduplicated
deduplicated as (

    {{ deduplicate('source', row_identity('review_id')) }}

),

renamed as (

    select
        -- ids
        {{ row_identity('review_id') }} as review_id,
        cast(nullif(trim(reference_id), '') as {{ dbt.type_string() }}) as reference_id,

        -- pii, pseudonymised: name and body are dropped, the e-mail only survives hashed
        {{ hash_email('reviewer_email') }} as reviewer_email_sha256,

        -- strings
        cast(title as {{ dbt.type_string() }}) as title,
        -- one export may mix platforms; a blank platform is unknown, never a platform of its own
        cast(nullif(trim(platform), '') as {{ dbt.type_string() }}) as platform,
        cast(published_at_precision as {{ dbt.type_string() }}) as published_at_precision,

        -- numerics
        cast(rating as {{ dbt.type_int() }}) as rating,

        -- booleans
        nullif(trim(body), '') is not null as has_body,
        review_id is not null as has_declared_id,

        -- timestamps (UTC)
        {{ utc_timestamp('published_at') }} as published_at,
        _loaded_at as loaded_at

    from deduplicated

)

select * from renamed
