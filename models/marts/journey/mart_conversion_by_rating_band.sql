{#- Conversion by the public rating a prospect saw on its zmot day (rating_bands seed): fmot
    among all leads, and purchase within funnel_conversion_window_days among leads whose window
    had fully elapsed by the as-of time (recent leads are censored, not failures), each with its
    Wilson interval. Leads who inquired before any review was published have a row of their own
    (rating_band NULL), never merged into a band. Without any review there are no band rows; a
    moment the data cannot support (no activities: no fmot) leaves its columns NULL. -#}
with

journey as (

    select * from {{ ref('fct_prospect_journey') }}

),

rating_bands as (

    select * from {{ ref('rating_bands') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

moments_supported as (

    select
        max(case when moment = 'fmot' and is_supported then 1 else 0 end) = 1 as has_fmot,
        max(case when moment = 'purchase' and is_supported then 1 else 0 end) = 1 as has_purchase
    from supported

),

leads as (

    select
        journey.rating_band_at_zmot as rating_band,
        journey.public_rating_at_zmot,
        journey.has_reached_fmot,
        {{ dbt.dateadd('day', var('funnel_conversion_window_days'), 'journey.zmot_at') }} <= as_of.as_of_at
            as has_full_window,
        journey.purchase_at <= as_of.as_of_at
        and journey.purchase_at <= {{ dbt.dateadd('day', var('funnel_conversion_window_days'), 'journey.zmot_at') }}
            as is_purchased_within_window
    from journey
    cross join as_of
    where journey.zmot_at is not null

),

by_band as (

    select
        rating_band,
        count(*) as leads,
        sum(public_rating_at_zmot) as rating_seen_sum,
        sum(case when has_reached_fmot then 1 else 0 end) as fmot_leads,
        sum(case when has_full_window then 1 else 0 end) as leads_with_full_window,
        sum(case when has_full_window and is_purchased_within_window then 1 else 0 end) as purchases_within_window
    from leads
    group by rating_band

),

-- every band of the seed (a band nobody saw has 0 leads), once any review exists
bands as (

    select
        rating_bands.rating_band,
        rating_bands.band_order,
        rating_bands.lower_bound_rating,
        rating_bands.upper_bound_rating
    from rating_bands
    where exists (select 1 from leads where public_rating_at_zmot is not null)
    union all
    select
        cast(null as {{ dbt.type_string() }}) as rating_band,
        cast(null as {{ dbt.type_int() }}) as band_order,
        cast(null as {{ type_double() }}) as lower_bound_rating,
        cast(null as {{ type_double() }}) as upper_bound_rating
    from by_band
    where rating_band is null

),

counted as (

    select
        bands.*,
        coalesce(by_band.leads, 0) as leads,
        by_band.rating_seen_sum,
        case when moments_supported.has_fmot then coalesce(by_band.fmot_leads, 0) end as fmot_leads,
        case when moments_supported.has_purchase then coalesce(by_band.leads_with_full_window, 0) end
            as leads_with_full_window,
        case when moments_supported.has_purchase then coalesce(by_band.purchases_within_window, 0) end
            as purchases_within_window
    from bands
    cross join moments_supported
    left join by_band
        on {{ null_safe_equals('bands.rating_band', 'by_band.rating_band') }}

),

final as (

    select
        -- strings
        cast(rating_band as {{ dbt.type_string() }}) as rating_band,

        -- numerics
        cast(band_order as {{ dbt.type_int() }}) as band_order,
        cast(lower_bound_rating as {{ type_double() }}) as lower_bound_rating,
        cast(upper_bound_rating as {{ type_double() }}) as upper_bound_rating,
        cast(leads as {{ dbt.type_bigint() }}) as leads,
        cast(rating_seen_sum as {{ type_double() }}) / nullif(leads, 0) as average_rating_seen,
        cast(fmot_leads as {{ dbt.type_bigint() }}) as fmot_leads,
        cast(fmot_leads as {{ type_double() }}) / nullif(leads, 0) as fmot_rate,
        {{ wilson_interval_lower('fmot_leads', 'leads') }} as fmot_rate_lower,
        {{ wilson_interval_upper('fmot_leads', 'leads') }} as fmot_rate_upper,
        cast(leads_with_full_window as {{ dbt.type_bigint() }}) as leads_with_full_window,
        cast(purchases_within_window as {{ dbt.type_bigint() }}) as purchases_within_window,
        cast(purchases_within_window as {{ type_double() }}) / nullif(leads_with_full_window, 0)
            as purchase_rate_within_window,
        {{ wilson_interval_lower('purchases_within_window', 'leads_with_full_window') }}
            as purchase_rate_within_window_lower,
        {{ wilson_interval_upper('purchases_within_window', 'leads_with_full_window') }}
            as purchase_rate_within_window_upper,

        -- booleans
        rating_band is not null as has_public_rating

    from counted

)

select * from final
