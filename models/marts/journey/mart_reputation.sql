{#- The public reputation by month and platform, with an all-platforms row per month: reviews
    published, their average and distribution (1..5 stars), the share negative (var
    negative_review_max_rating), the running public rating at month end (cumulative average, as a
    prospect would have seen it), and who wrote them: the project's own customers (author linked
    to a purchase made by then), other known prospects, unknown authors. Beside each month's
    all-platforms row, the loop's other half, descriptive only: zmots in the weeks after the month
    ended (var review_loop_inquiry_weeks), NULL while those weeks have not all passed or without
    any inquiry data. A month
    without reviews on a platform has no row; authorship is NULL when no review can be linked. -#}
with

reviews as (

    select * from {{ ref('int_reviews_linked') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

journey as (

    select * from {{ ref('fct_prospect_journey') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

authors_supported as (

    select
        max(case when moment = 'umot' and is_supported then 1 else 0 end) = 1 as has_linked_authors,
        max(case when moment = 'zmot' and is_supported then 1 else 0 end) = 1 as has_inquiries
    from supported

),

reviews_scoped as (

    select
        reviews.*,
        false as is_all_platforms
    from reviews
    where platform is not null
    union all
    select
        reviews.*,
        true as is_all_platforms
    from reviews

),

monthly as (

    select
        published_month,
        case when is_all_platforms then null else platform end as platform,
        is_all_platforms,
        count(*) as reviews,
        sum(rating) as rating_sum,
        {% for stars in range(1, 6) -%}
        sum(case when rating = {{ stars }} then 1 else 0 end) as rating_{{ stars }}_reviews,
        {% endfor -%}
        sum(case when is_negative then 1 else 0 end) as negative_reviews,
        sum(case when is_by_customer then 1 else 0 end) as customer_reviews,
        sum(case when has_known_author and not is_by_customer then 1 else 0 end) as other_prospect_reviews,
        sum(case when not has_known_author then 1 else 0 end) as unknown_author_reviews
    from reviews_scoped
    group by published_month, case when is_all_platforms then null else platform end, is_all_platforms

),

running as (

    select
        *,
        sum(reviews) over (
            partition by is_all_platforms, platform order by published_month
            rows between unbounded preceding and current row
        ) as reviews_to_month_end,
        sum(rating_sum) over (
            partition by is_all_platforms, platform order by published_month
            rows between unbounded preceding and current row
        ) as rating_sum_to_month_end
    from monthly

),

months_with_window as (

    select distinct
        running.published_month,
        {{ dbt.dateadd('month', 1, 'running.published_month') }} as window_start,
        {{ dbt.dateadd('day', 7 * var('review_loop_inquiry_weeks'), dbt.dateadd('month', 1, 'running.published_month')) }}
            as window_end
    from running

),

inquiries_after as (

    select
        months_with_window.published_month,
        max(case when months_with_window.window_end <= as_of.as_of_at then 1 else 0 end) = 1 as has_full_inquiry_window,
        count(journey.prospect_id) as zmots_after
    from months_with_window
    cross join as_of
    left join journey
        on journey.zmot_at >= months_with_window.window_start and journey.zmot_at < months_with_window.window_end
    group by months_with_window.published_month

),

final as (

    select
        -- strings
        cast(running.platform as {{ dbt.type_string() }}) as platform,

        -- numerics
        cast(running.reviews as {{ dbt.type_bigint() }}) as reviews,
        cast(running.rating_sum as {{ dbt.type_bigint() }}) as rating_sum,
        cast(running.rating_sum as {{ type_double() }}) / running.reviews as average_rating,
        {% for stars in range(1, 6) -%}
        cast(running.rating_{{ stars }}_reviews as {{ dbt.type_bigint() }}) as rating_{{ stars }}_reviews,
        {% endfor -%}
        cast(running.negative_reviews as {{ dbt.type_bigint() }}) as negative_reviews,
        cast(running.negative_reviews as {{ type_double() }}) / running.reviews as negative_review_share,
        cast(running.reviews_to_month_end as {{ dbt.type_bigint() }}) as reviews_to_month_end,
        cast(running.rating_sum_to_month_end as {{ type_double() }}) / running.reviews_to_month_end
            as running_rating_at_month_end,
        cast(
            case when authors_supported.has_linked_authors then running.customer_reviews end as {{ dbt.type_bigint() }}
        ) as customer_reviews,
        cast(
            case when authors_supported.has_linked_authors then running.other_prospect_reviews end
            as {{ dbt.type_bigint() }}
        ) as other_prospect_reviews,
        cast(
            case when authors_supported.has_linked_authors then running.unknown_author_reviews end
            as {{ dbt.type_bigint() }}
        ) as unknown_author_reviews,
        cast(
            case
                when running.is_all_platforms and inquiries_after.has_full_inquiry_window and authors_supported.has_inquiries
                    then inquiries_after.zmots_after
            end
            as {{ dbt.type_bigint() }}
        ) as zmots_in_following_weeks,

        -- booleans
        running.is_all_platforms,
        case when running.is_all_platforms then inquiries_after.has_full_inquiry_window end as has_full_inquiry_window,

        -- dates
        cast(running.published_month as date) as review_month

    from running
    cross join authors_supported
    left join inquiries_after
        on running.published_month = inquiries_after.published_month

)

select * from final
