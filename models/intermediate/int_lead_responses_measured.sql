{#- One row per lead (a prospect with a zmot): when the lead came in, the first response
    attempt and the first meaningful engagement after it, and the response-time bucket. -#}
with

inquiries as (

    select * from {{ ref('int_inquiries_unioned') }}

),

engagements as (

    select * from {{ ref('int_engagements_classified') }}

),

buckets as (

    select * from {{ ref('response_time_buckets') }}

),

inquiries_ranked as (

    select
        *,
        row_number() over (
            partition by prospect_id
            order by inquired_at, source_system, source_event_id
        ) as inquiry_rank
    from inquiries

),

leads as (

    select
        prospect_id,
        contact_id,
        owner_id,
        inquiry_id as zmot_inquiry_id,
        source_system as zmot_source_system,
        source_event_id as zmot_source_event_id,
        channel as zmot_channel,
        inquired_at_precision as zmot_at_precision,
        inquired_at as zmot_at
    from inquiries_ranked
    where inquiry_rank = 1

),

engagements_after_zmot as (

    select
        engagements.*,
        row_number() over (
            partition by engagements.prospect_id, engagements.is_response_attempt
            order by engagements.occurred_at, engagements.engagement_id
        ) as attempt_rank,
        row_number() over (
            partition by engagements.prospect_id, engagements.is_meaningful
            order by engagements.occurred_at, engagements.engagement_id
        ) as meaningful_rank
    from engagements
    inner join leads
        on
            engagements.prospect_id = leads.prospect_id
            and engagements.occurred_at >= leads.zmot_at

),

first_response_attempts as (

    select * from engagements_after_zmot
    where is_response_attempt and attempt_rank = 1

),

first_meaningful_engagements as (

    select * from engagements_after_zmot
    where is_meaningful and meaningful_rank = 1

),

responses_timed as (

    select
        leads.*,
        first_response_attempts.engagement_id as first_response_engagement_id,
        first_response_attempts.owner_id as first_response_owner_id,
        first_response_attempts.engagement_type as first_response_engagement_type,
        first_response_attempts.engagement_class as first_response_engagement_class,
        first_response_attempts.occurred_at as first_response_at,
        first_response_attempts.occurred_at_precision as first_response_at_precision,
        {{ seconds_between('leads.zmot_at', 'first_response_attempts.occurred_at') }}
            as response_seconds,
        first_meaningful_engagements.engagement_id as fmot_engagement_id,
        first_meaningful_engagements.owner_id as fmot_owner_id,
        first_meaningful_engagements.engagement_type as fmot_engagement_type,
        first_meaningful_engagements.occurred_at as fmot_at,
        first_meaningful_engagements.occurred_at_precision as fmot_at_precision
    from leads
    left join first_response_attempts
        on leads.prospect_id = first_response_attempts.prospect_id
    left join first_meaningful_engagements
        on leads.prospect_id = first_meaningful_engagements.prospect_id

),

responses_precision as (

    select
        *,
        coalesce(zmot_at_precision = 'day' or first_response_at_precision = 'day', false)
            as is_response_day_precise
    from responses_timed

),

-- buckets are [lower, upper); a missing upper bound is open-ended. A response time measured
-- between day-precise timestamps is no sub-day figure: it has a bucket of its own.
responses_bucketed as (

    select
        responses_timed.*,
        buckets.response_time_bucket,
        buckets.bucket_order
    from responses_precision as responses_timed
    left join buckets
        on
            (
                responses_timed.response_seconds is null
                and not buckets.is_responded
            )
            or (
                responses_timed.response_seconds is not null
                and responses_timed.is_response_day_precise
                and buckets.is_day_precision
            )
            or (
                buckets.is_responded
                and not buckets.is_day_precision
                and not responses_timed.is_response_day_precise
                and responses_timed.response_seconds >= buckets.lower_bound_seconds
                and (
                    buckets.upper_bound_seconds is null
                    or responses_timed.response_seconds < buckets.upper_bound_seconds
                )
            )

),

final as (

    select
        -- ids
        prospect_id,
        contact_id,
        owner_id,
        zmot_inquiry_id,
        zmot_source_event_id,
        first_response_engagement_id,
        first_response_owner_id,
        fmot_engagement_id,
        fmot_owner_id,

        -- strings
        zmot_source_system,
        zmot_channel,
        first_response_engagement_type,
        first_response_engagement_class,
        fmot_engagement_type,
        response_time_bucket,
        zmot_at_precision,
        first_response_at_precision,
        fmot_at_precision,

        -- numerics
        bucket_order,
        cast(response_seconds as {{ type_double() }}) as response_seconds,

        -- booleans
        first_response_engagement_id is not null as has_response_attempt,
        fmot_engagement_id is not null as has_reached_fmot,
        is_response_day_precise,

        -- timestamps
        zmot_at,
        first_response_at,
        fmot_at

    from responses_bucketed

)

select * from final
