{#- Every moment of truth a prospect reached, one row per prospect and moment, each with
    the event that reached it. The rules for zmot and fmot live upstream. -#}
with

leads as (

    select * from {{ ref('int_lead_responses_measured') }}

),

identities as (

    select * from {{ ref('int_identities_stitched') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

web_sessions as (

    select * from {{ ref('int_web_sessions_stitched') }}

),

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

deal_stages as (

    select * from {{ ref('stg_crm__deal_stages') }}

),

survey_responses as (

    select * from {{ ref('stg_survey__responses') }}

),

reviews as (

    select * from {{ ref('stg_reviews__reviews') }}

),

-- stimulus: the first campaign session (var stimulus_traffic_mediums) of a stitched visitor
-- that started at or before the inquiry; the session's first event is the source event
stimulus_candidates as (

    select
        leads.prospect_id,
        'stimulus' as moment,
        web_sessions.session_started_at as reached_at,
        'web' as source_system,
        web_sessions.first_event_id as source_event_id,
        web_sessions.session_medium as channel,
        cast(null as {{ dbt.type_string() }}) as owner_id,
        'microsecond' as reached_at_precision,
        row_number() over (
            partition by leads.prospect_id
            order by web_sessions.session_started_at, web_sessions.session_id
        ) as candidate_rank
    from web_sessions
    inner join leads
        on web_sessions.prospect_id = leads.prospect_id
    where
        web_sessions.is_campaign_session
        and web_sessions.session_started_at <= leads.zmot_at

),

zmot as (

    select
        prospect_id,
        'zmot' as moment,
        zmot_at as reached_at,
        zmot_source_system as source_system,
        zmot_source_event_id as source_event_id,
        zmot_channel as channel,
        owner_id,
        zmot_at_precision as reached_at_precision,
        1 as candidate_rank
    from leads

),

fmot as (

    select
        prospect_id,
        'fmot' as moment,
        fmot_at as reached_at,
        'crm' as source_system,
        fmot_engagement_id as source_event_id,
        lower(fmot_engagement_type) as channel,
        fmot_owner_id as owner_id,
        fmot_at_precision as reached_at_precision,
        1 as candidate_rank
    from leads
    where has_reached_fmot

),

won_stage_entries as (

    select
        deal_id,
        min(entered_at) as won_at,
        -- 'second' sorts after 'day': the entry is day-precise only when every won entry is
        max(entered_at_precision) as won_at_precision
    from deal_stages
    where is_won
    group by deal_id

),

-- purchase: the first won deal, at its close date (or when it entered a won stage)
purchase_candidates as (

    select
        leads.prospect_id,
        'purchase' as moment,
        coalesce(deals.closed_at, won_stage_entries.won_at) as reached_at,
        'crm' as source_system,
        deals.deal_id as source_event_id,
        'crm' as channel,
        deals.owner_id,
        case
            when deals.closed_at is not null then deals.closed_at_precision
            else won_stage_entries.won_at_precision
        end as reached_at_precision,
        row_number() over (
            partition by leads.prospect_id
            order by coalesce(deals.closed_at, won_stage_entries.won_at), deals.deal_id
        ) as candidate_rank
    from deals
    left join won_stage_entries
        on deals.deal_id = won_stage_entries.deal_id
    inner join leads
        on deals.contact_id = leads.contact_id
    where
        deals.is_won
        and coalesce(deals.closed_at, won_stage_entries.won_at) is not null

),

purchases as (

    select * from purchase_candidates
    where candidate_rank = 1

),

-- smot: the first survey answered at or after the purchase
smot_candidates as (

    select
        purchases.prospect_id,
        'smot' as moment,
        survey_responses.submitted_at as reached_at,
        'survey' as source_system,
        survey_responses.response_id as source_event_id,
        'survey' as channel,
        cast(null as {{ dbt.type_string() }}) as owner_id,
        survey_responses.submitted_at_precision as reached_at_precision,
        row_number() over (
            partition by purchases.prospect_id
            order by survey_responses.submitted_at, survey_responses.response_id
        ) as candidate_rank
    from survey_responses
    inner join identities
        on
            identities.identifier_type = 'contact_id'
            and survey_responses.contact_id = identities.identifier
    inner join purchases
        on identities.prospect_id = purchases.prospect_id
    where survey_responses.submitted_at >= purchases.reached_at

),

-- a review names its author by the company's reference id, else by the hashed e-mail
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

umot_candidates as (

    select
        leads.prospect_id,
        'umot' as moment,
        reviews_linked.published_at as reached_at,
        'reviews' as source_system,
        reviews_linked.review_id as source_event_id,
        'review' as channel,
        cast(null as {{ dbt.type_string() }}) as owner_id,
        reviews_linked.published_at_precision as reached_at_precision,
        row_number() over (
            partition by leads.prospect_id
            order by reviews_linked.published_at, reviews_linked.review_id
        ) as candidate_rank
    from reviews_linked
    inner join leads
        on reviews_linked.prospect_id = leads.prospect_id

),

-- rmot: credited to the referrer when a prospect they referred makes their first inquiry
rmot_candidates as (

    select
        referrers.prospect_id,
        'rmot' as moment,
        referred.zmot_at as reached_at,
        'crm' as source_system,
        referred.contact_id as source_event_id,
        referred.zmot_channel as channel,
        cast(null as {{ dbt.type_string() }}) as owner_id,
        referred.zmot_at_precision as reached_at_precision,
        row_number() over (
            partition by referrers.prospect_id
            order by referred.zmot_at, referred.contact_id
        ) as candidate_rank
    from leads as referred
    inner join contacts
        on referred.contact_id = contacts.contact_id
    inner join leads as referrers
        on contacts.referred_by_contact_id = referrers.contact_id
    where referrers.contact_id != referred.contact_id

),

moments as (

    select * from stimulus_candidates
    union all
    select * from zmot
    union all
    select * from fmot
    union all
    select * from purchases
    union all
    select * from smot_candidates
    union all
    select * from umot_candidates
    union all
    select * from rmot_candidates

),

final as (

    select
        prospect_id,
        moment,
        source_system,
        source_event_id,
        channel,
        owner_id,
        reached_at_precision,
        reached_at
    from moments
    where candidate_rank = 1

)

select * from final
