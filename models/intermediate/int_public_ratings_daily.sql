{#- The public rating as a prospect would have seen it: one row per day (from the first review's
    day to the as-of day) and platform, plus an all-platforms row per day. The rating is the
    cumulative average of the stars published so far; `rating_in_force` counts only reviews
    published before the day began, which is what someone inquiring that day could have read.
    A review with no platform counts in the all-platforms rows only. -#}
with

day_offsets as (

    {{ integer_range(5, 'day_offset') }}

),

reviews as (

    select * from {{ ref('int_reviews_linked') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

data_range as (

    select
        min(reviews.published_date) as first_day,
        cast(max(as_of.as_of_at) as date) as last_day
    from reviews
    cross join as_of

),

days as (

    select
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'data_range.first_day') }} as date) as rating_date
    from day_offsets
    cross join data_range
    where {{ dbt.dateadd('day', 'day_offsets.day_offset', 'data_range.first_day') }} <= data_range.last_day

),

scopes as (

    select distinct
        platform,
        false as is_all_platforms
    from reviews
    where platform is not null
    union all
    select
        cast(null as {{ dbt.type_string() }}) as platform,
        true as is_all_platforms
    from data_range
    where first_day is not null

),

reviews_by_day as (

    select
        published_date,
        platform,
        false as is_all_platforms,
        count(*) as reviews,
        sum(rating) as rating_sum
    from reviews
    where platform is not null
    group by published_date, platform
    union all
    select
        published_date,
        cast(null as {{ dbt.type_string() }}) as platform,
        true as is_all_platforms,
        count(*) as reviews,
        sum(rating) as rating_sum
    from reviews
    group by published_date

),

grid as (

    select
        days.rating_date,
        scopes.platform,
        scopes.is_all_platforms,
        coalesce(reviews_by_day.reviews, 0) as reviews_on_day,
        coalesce(reviews_by_day.rating_sum, 0) as rating_sum_on_day
    from days
    cross join scopes
    left join reviews_by_day
        on
            days.rating_date = reviews_by_day.published_date
            and scopes.is_all_platforms = reviews_by_day.is_all_platforms
            and {{ null_safe_equals('scopes.platform', 'reviews_by_day.platform') }}

),

cumulated as (

    select
        *,
        sum(reviews_on_day) over (
            partition by is_all_platforms, platform order by rating_date rows between unbounded preceding and current row
        ) as reviews_to_date,
        sum(rating_sum_on_day) over (
            partition by is_all_platforms, platform order by rating_date rows between unbounded preceding and current row
        ) as rating_sum_to_date
    from grid

),

final as (

    select
        -- strings
        cast(platform as {{ dbt.type_string() }}) as platform,

        -- numerics
        cast(reviews_on_day as {{ dbt.type_bigint() }}) as reviews_on_day,
        cast(reviews_to_date - reviews_on_day as {{ dbt.type_bigint() }}) as reviews_before_day,
        cast(reviews_to_date as {{ dbt.type_bigint() }}) as reviews_to_date,
        cast(rating_sum_to_date - rating_sum_on_day as {{ dbt.type_bigint() }}) as rating_sum_before_day,
        cast(rating_sum_to_date as {{ dbt.type_bigint() }}) as rating_sum_to_date,
        cast(rating_sum_to_date - rating_sum_on_day as {{ type_double() }})
        / nullif(reviews_to_date - reviews_on_day, 0) as rating_in_force,
        cast(rating_sum_to_date as {{ type_double() }}) / nullif(reviews_to_date, 0) as rating_at_day_end,

        -- booleans
        is_all_platforms,

        -- dates
        rating_date

    from cumulated

)

select * from final
