{#- From survey to review: customers by their NPS category (the latest answer after purchase, as
    in mart_experience_advocacy; NULL: no NPS answer), how many went on to publish a review
    (umot), how many of those reviews were negative (var negative_review_max_rating) and the
    stars they gave (their first review), with Wilson intervals. The source material's figure
    to compare with: 26.1 % of dissatisfied consumers leave a negative review. NULL where the
    reviews cannot be linked to customers. -#}
with

customers as (

    select * from {{ ref('mart_experience_advocacy') }}

),

reviews as (

    select * from {{ ref('int_reviews_linked') }}

),

first_reviews as (

    select
        prospect_id,
        rating,
        is_negative
    from reviews
    where author_review_rank = 1

),

by_category as (

    select
        customers.nps_category,
        count(*) as customers,
        sum(case when customers.has_reached_umot then 1 else 0 end) as reviewers,
        sum(case when customers.has_reached_umot and first_reviews.is_negative then 1 else 0 end) as negative_reviewers,
        sum(case when customers.has_reached_umot then first_reviews.rating end) as review_rating_sum,
        max(case when customers.has_reached_umot is null then 1 else 0 end) = 1 as is_umot_unsupported
    from customers
    left join first_reviews
        on customers.prospect_id = first_reviews.prospect_id
    group by customers.nps_category

),

counted as (

    select
        nps_category,
        case nps_category when 'promoter' then 1 when 'passive' then 2 when 'detractor' then 3 end as category_order,
        customers,
        case when not is_umot_unsupported then reviewers end as reviewers,
        case when not is_umot_unsupported then negative_reviewers end as negative_reviewers,
        case when not is_umot_unsupported then review_rating_sum end as review_rating_sum
    from by_category

),

final as (

    select
        -- strings
        cast(nps_category as {{ dbt.type_string() }}) as nps_category,

        -- numerics
        cast(category_order as {{ dbt.type_int() }}) as category_order,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(reviewers as {{ dbt.type_bigint() }}) as reviewers,
        cast(reviewers as {{ type_double() }}) / nullif(customers, 0) as review_rate,
        {{ wilson_interval_lower('reviewers', 'customers') }} as review_rate_lower,
        {{ wilson_interval_upper('reviewers', 'customers') }} as review_rate_upper,
        cast(negative_reviewers as {{ dbt.type_bigint() }}) as negative_reviewers,
        cast(negative_reviewers as {{ type_double() }}) / nullif(customers, 0) as negative_review_rate,
        {{ wilson_interval_lower('negative_reviewers', 'customers') }} as negative_review_rate_lower,
        {{ wilson_interval_upper('negative_reviewers', 'customers') }} as negative_review_rate_upper,
        cast(review_rating_sum as {{ dbt.type_bigint() }}) as review_rating_sum,
        cast(review_rating_sum as {{ type_double() }}) / nullif(reviewers, 0) as average_review_rating,

        -- booleans
        nps_category is not null as has_nps_response

    from counted

)

select * from final
