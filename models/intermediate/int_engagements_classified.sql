{#- Each CRM engagement, classified by the (configurable) rules for a response attempt
    and for a meaningful engagement (an fmot candidate), with the reason when it is not. -#}
with

engagements as (

    select * from {{ ref('stg_crm__engagements') }}

),

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

owners_exported as (

    select count(*) as owner_rows
    from owners

),

-- an owner the owners export does not list is not qualified; with no owners export at all the
-- data cannot tell, so qualification is not required (mart_coverage notes it on fmot)
engagements_with_owner as (

    select
        engagements.*,
        case
            when owners_exported.owner_rows = 0 then true
            else coalesce(owners.is_qualified, false)
        end as is_owner_qualified
    from engagements
    cross join owners_exported
    left join owners
        on engagements.owner_id = owners.owner_id

),

flagged as (

    select
        *,
        coalesce(
            engagement_type in ({{ sql_list(var('response_attempt_engagement_types')) }})
            and direction in ({{ sql_list(var('response_attempt_directions')) }}),
            false
        ) as is_response_attempt,
        coalesce(
            engagement_type = 'CALL'
            and direction in ({{ sql_list(var('fmot_call_directions')) }})
            and outcome in ({{ sql_list(var('fmot_call_outcomes')) }}),
            false
        ) as is_connected_call,
        coalesce(duration_ms, 0) >= {{ var('fmot_min_call_minutes') }} * 60000 as is_long_enough,
        coalesce(
            engagement_type = 'MEETING'
            and outcome in ({{ sql_list(var('fmot_meeting_outcomes')) }}),
            false
        ) as is_completed_meeting
    from engagements_with_owner

),

classified as (

    select
        *,
        (
            (is_connected_call and is_long_enough) or is_completed_meeting
        )
        and is_owner_qualified
        and not is_templated as is_meaningful,
        case
            when is_templated then 'templated'
            when is_connected_call and not is_long_enough then 'short_call'
            when engagement_type = 'CALL' and outcome in ('NO_ANSWER', 'BUSY', 'FAILED') then 'unanswered'
            when engagement_type = 'CALL' and outcome = 'LEFT_VOICEMAIL' then 'voicemail'
            when (is_connected_call or is_completed_meeting) and not is_owner_qualified
                then 'unqualified_owner'
            when is_connected_call or is_completed_meeting then 'meaningful'
            when engagement_type = 'EMAIL' then 'email'
            else 'other'
        end as engagement_class
    from flagged

),

final as (

    select
        -- ids
        engagement_id,
        {{ surrogate_key(['contact_id']) }} as prospect_id,
        contact_id,
        owner_id,

        -- strings
        engagement_type,
        direction,
        outcome,
        engagement_class,

        -- numerics
        duration_ms,

        -- booleans
        is_templated,
        is_owner_qualified,
        is_response_attempt,
        is_meaningful,

        occurred_at_precision,

        -- timestamps
        occurred_at

    from classified

)

select * from final
