{#- Accumulating snapshot: one row per prospect, a timestamp per moment reached. Speed to lead
    is measured on the first response attempt, success on fmot: both are here. -#}
with

prospects as (

    select * from {{ ref('dim_prospects') }}

),

moments as (

    select * from {{ ref('fct_prospect_moments') }}

),

leads as (

    select * from {{ ref('int_lead_responses_measured') }}

),

public_ratings as (

    select * from {{ ref('int_public_ratings_daily') }}
    where is_all_platforms

),

rating_bands as (

    select * from {{ ref('rating_bands') }}

),

moments_pivoted as (

    select
        prospect_id,
        {% for moment in ['stimulus', 'zmot', 'fmot', 'purchase', 'smot', 'umot', 'rmot'] -%}
        max(case when moment = '{{ moment }}' then reached_at end) as {{ moment }}_at,
        {% endfor -%}
        max(case when moment = 'stimulus' then channel end) as stimulus_channel,
        max(case when moment = 'rmot' then source_event_id end) as rmot_referred_contact_id,
        max(moment_order) as furthest_moment_order,
        sum(case when is_out_of_order then 1 else 0 end) as out_of_order_moment_count
    from moments
    group by prospect_id

),

-- a prospect asks for a contact method; the channel that honours it comes from a var
channels_compared as (

    select
        prospects.prospect_id,
        case coalesce(prospects.requested_contact_method, prospects.preferred_contact_method)
            {% for method, channel in var('requested_method_channels').items() -%}
            when '{{ method }}' then '{{ channel }}'
            {% endfor -%}
        end as requested_channel,
        lower(leads.first_response_engagement_type) as response_channel
    from prospects
    left join leads
        on prospects.prospect_id = leads.prospect_id

),

-- the public rating in force on the zmot day (reviews published before the day began); before
-- the first review there is no rating, and no review export at all leaves the count unknown too
ratings_at_zmot as (

    select
        moments_pivoted.prospect_id,
        public_ratings.rating_in_force as public_rating_at_zmot,
        case
            when public_ratings.rating_date is not null then public_ratings.reviews_before_day
            when (select count(*) from public_ratings) > 0 then 0
        end as public_reviews_at_zmot
    from moments_pivoted
    left join public_ratings
        on cast(moments_pivoted.zmot_at as date) = public_ratings.rating_date
    where moments_pivoted.zmot_at is not null

),

ratings_banded as (

    select
        ratings_at_zmot.*,
        rating_bands.rating_band,
        rating_bands.band_order as rating_band_order
    from ratings_at_zmot
    left join rating_bands
        on
            ratings_at_zmot.public_rating_at_zmot >= coalesce(rating_bands.lower_bound_rating, 0)
            and (
                rating_bands.upper_bound_rating is null
                or ratings_at_zmot.public_rating_at_zmot < rating_bands.upper_bound_rating
            )

),

final as (

    select
        -- ids
        prospects.prospect_id,
        prospects.owner_id,
        leads.first_response_owner_id,
        leads.fmot_owner_id,
        prospects.referred_by_prospect_id,
        cast(
            case
                when moments_pivoted.rmot_referred_contact_id is not null
                    then {{ surrogate_key(['moments_pivoted.rmot_referred_contact_id']) }}
            end as {{ dbt.type_string() }}
        ) as rmot_referred_prospect_id,

        -- strings
        prospects.lead_source,
        leads.zmot_channel,
        moments_pivoted.stimulus_channel,
        leads.first_response_engagement_type,
        channels_compared.response_channel,
        channels_compared.requested_channel,
        leads.response_time_bucket,
        cast(ratings_banded.rating_band as {{ dbt.type_string() }}) as rating_band_at_zmot,

        -- numerics
        leads.bucket_order,
        leads.response_seconds,
        moments_pivoted.furthest_moment_order,
        cast(coalesce(moments_pivoted.out_of_order_moment_count, 0) as {{ dbt.type_int() }}) as out_of_order_moment_count,
        cast(ratings_banded.public_rating_at_zmot as {{ type_double() }}) as public_rating_at_zmot,
        cast(ratings_banded.public_reviews_at_zmot as {{ dbt.type_bigint() }}) as public_reviews_at_zmot,
        cast(ratings_banded.rating_band_order as {{ dbt.type_int() }}) as rating_band_order_at_zmot,

        -- booleans
        coalesce(leads.has_response_attempt, false) as has_response_attempt,
        coalesce(leads.has_reached_fmot, false) as has_reached_fmot,
        case
            when channels_compared.response_channel is not null and channels_compared.requested_channel is not null
                then channels_compared.response_channel = channels_compared.requested_channel
        end as is_response_channel_as_requested,

        -- dates
        prospects.cohort_month,

        -- timestamps
        moments_pivoted.stimulus_at,
        moments_pivoted.zmot_at,
        leads.first_response_at,
        leads.first_response_at as first_response_attempt_at,
        moments_pivoted.fmot_at,
        moments_pivoted.purchase_at,
        moments_pivoted.smot_at,
        moments_pivoted.umot_at,
        moments_pivoted.rmot_at

    from prospects
    left join moments_pivoted
        on prospects.prospect_id = moments_pivoted.prospect_id
    left join leads
        on prospects.prospect_id = leads.prospect_id
    left join channels_compared
        on prospects.prospect_id = channels_compared.prospect_id
    left join ratings_banded
        on prospects.prospect_id = ratings_banded.prospect_id

)

select * from final
