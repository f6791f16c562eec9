{#- One row per moment (and the first response, which speed to lead measures): whether the data
    of this build can support it at all, and why not. A moment whose source has no rows cannot be
    reached by anyone, so a mart shows no figure for it rather than a 0 % that the data never said.
    A supported moment may still have been reached by no one: that is a real zero. -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

engagements as (

    select * from {{ ref('stg_crm__engagements') }}

),

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

survey_responses as (

    select * from {{ ref('stg_survey__responses') }}

),

reviews as (

    select * from {{ ref('stg_reviews__reviews') }}

),

web_events as (

    select * from {{ ref('stg_web__events') }}

),

inquiries as (

    select * from {{ ref('int_inquiries_unioned') }}

),

journey_steps as (

    select * from {{ ref('journey_steps') }}

),

source_counts as (

    select
        (select count(*) from contacts) as contact_rows,
        (select count(*) from contacts where referred_by_contact_id is not null) as referred_contact_rows,
        (select count(*) from engagements) as engagement_rows,
        (select count(*) from owners) as owner_rows,
        (select count(*) from deals) as deal_rows,
        (select count(*) from deals where is_won) as won_deal_rows,
        (select count(*) from survey_responses) as survey_rows,
        (select count(*) from survey_responses where contact_id is not null) as linked_survey_rows,
        (select count(*) from reviews) as review_rows,
        (
            select count(*) from reviews
            where reference_id is not null or reviewer_email_sha256 is not null
        ) as linked_review_rows,
        (select count(*) from web_events) as web_event_rows,
        (select count(*) from inquiries) as inquiry_rows

),

supported as (

    select
        'stimulus' as moment,
        web_event_rows > 0 and inquiry_rows > 0 as is_supported,
        case
            when web_event_rows = 0 then 'no web events (raw.web_events is empty)'
            when inquiry_rows = 0 then 'no inquiries to precede'
        end as reason,
        cast(null as {{ dbt.type_string() }}) as note
    from source_counts
    union all
    select
        'zmot',
        inquiry_rows > 0,
        case when inquiry_rows = 0 then 'no CRM contacts and no web lead forms from a known contact' end,
        cast(null as {{ dbt.type_string() }})
    from source_counts
    union all
    select
        'first_response',
        engagement_rows > 0 and inquiry_rows > 0,
        case
            when engagement_rows = 0 then 'no CRM activities (raw.crm_engagements is empty): response times are unknown'
            when inquiry_rows = 0 then 'no leads to respond to'
        end,
        cast(null as {{ dbt.type_string() }})
    from source_counts
    union all
    select
        'fmot',
        engagement_rows > 0 and inquiry_rows > 0,
        case
            when engagement_rows = 0 then 'no CRM activities (raw.crm_engagements is empty): meaningful engagements are unknown'
            when inquiry_rows = 0 then 'no leads to engage'
        end,
        case
            when owner_rows = 0 and engagement_rows > 0
                then 'no owners export: rep qualification is unknown and not required'
        end
    from source_counts
    union all
    select
        'purchase',
        deal_rows > 0 and inquiry_rows > 0,
        case
            when deal_rows = 0 then 'no CRM deals (raw.crm_deals is empty)'
            when inquiry_rows = 0 then 'no leads to buy'
        end,
        case when deal_rows > 0 and won_deal_rows = 0 then 'no deal is in a won stage' end
    from source_counts
    union all
    select
        'smot',
        linked_survey_rows > 0 and deal_rows > 0 and inquiry_rows > 0,
        case
            when survey_rows = 0 then 'no survey responses (raw.survey_responses is empty)'
            when linked_survey_rows = 0 then 'no survey response names a CRM contact'
            when deal_rows = 0 then 'no CRM deals: no purchase to follow'
            when inquiry_rows = 0 then 'no leads'
        end,
        cast(null as {{ dbt.type_string() }})
    from source_counts
    union all
    select
        'umot',
        linked_review_rows > 0 and inquiry_rows > 0,
        case
            when review_rows = 0 then 'no reviews (raw.reviews_reviews is empty)'
            when linked_review_rows = 0 then 'no review names a reference id or an e-mail'
            when inquiry_rows = 0 then 'no leads'
        end,
        cast(null as {{ dbt.type_string() }})
    from source_counts
    union all
    select
        'rmot',
        referred_contact_rows > 0,
        case
            when contact_rows = 0 then 'no CRM contacts'
            when referred_contact_rows = 0 then 'no contact names a referrer (referred_by_contact_id)'
        end,
        cast(null as {{ dbt.type_string() }})
    from source_counts

),

final as (

    select
        -- strings
        supported.moment,
        supported.reason,
        supported.note,

        -- numerics
        cast(journey_steps.step_order as {{ dbt.type_int() }}) as step_order,

        -- booleans
        supported.is_supported

    from supported
    inner join journey_steps
        on supported.moment = journey_steps.step

)

select * from final
