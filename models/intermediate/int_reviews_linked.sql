{#- One row per published review with its author resolved to a prospect where the export lets
    us (the company's reference id, else the hashed e-mail: the same rule as umot), whether that
    author had already bought, and whether the review is negative (var negative_review_max_rating).
    An author nobody can be linked to stays unknown: the review still counts for the public rating. -#}
with

reviews as (

    select * from {{ ref('stg_reviews__reviews') }}

),

identities as (

    select * from {{ ref('int_identities_stitched') }}

),

moments as (

    select * from {{ ref('int_moments_unioned') }}

),

purchases as (

    select
        prospect_id,
        reached_at as purchase_at
    from moments
    where moment = 'purchase'

),

reviews_linked as (

    select
        reviews.*,
        coalesce(by_reference.prospect_id, by_email.prospect_id) as prospect_id
    from reviews
    left join identities as by_reference
        on
            by_reference.identifier_type = 'contact_id'
            and reviews.reference_id = by_reference.identifier
    left join identities as by_email
        on
            by_email.identifier_type = 'email_sha256'
            and reviews.reviewer_email_sha256 = by_email.identifier

),

reviews_ranked as (

    select
        reviews_linked.*,
        purchases.purchase_at,
        case
            when reviews_linked.prospect_id is not null
                then row_number() over (
                    partition by reviews_linked.prospect_id
                    order by reviews_linked.published_at, reviews_linked.review_id
                )
        end as author_review_rank
    from reviews_linked
    left join purchases
        on reviews_linked.prospect_id = purchases.prospect_id

),

final as (

    select
        -- ids
        review_id,
        prospect_id,

        -- strings
        platform,
        published_at_precision,

        -- numerics
        rating,
        author_review_rank,

        -- booleans
        rating <= {{ var('negative_review_max_rating') }} as is_negative,
        prospect_id is not null as has_known_author,
        coalesce(purchase_at <= published_at, false) as is_by_customer,

        -- dates
        cast(published_at as date) as published_date,
        cast({{ dbt.date_trunc('month', 'published_at') }} as date) as published_month,

        -- timestamps
        published_at

    from reviews_ranked

)

select * from final
