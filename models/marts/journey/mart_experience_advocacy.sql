{#- Experience and advocacy, one row per customer (a prospect who purchased): the NPS and CSAT
    they gave after purchase, whether they went on to public advocacy (umot), and the referrals
    they made (rmot) with the new leads (zmot) those produced — the loop. Customer grain so NPS
    adds up correctly by any cut (cohort, rep, source): sum promoters and detractors, then divide. -#}
with

supported as (

    select * from {{ ref('int_moments_supported') }}

),

leads as (

    select * from {{ ref('int_leads_attributed') }}

),

prospects as (

    select * from {{ ref('dim_prospects') }}

),

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

as_of as (

    select * from {{ ref('int_mart_as_of_resolved') }}

),

-- whether reviews and referrals could be seen at all: without them, NULL rather than 'no'
advocacy_supported as (

    select
        max(case when moment = 'umot' and is_supported then 1 else 0 end) = 1 as has_umot,
        max(case when moment = 'rmot' and is_supported then 1 else 0 end) = 1 as has_rmot
    from supported

),

customers as (

    select leads.*
    from leads
    cross join as_of
    where leads.purchase_at <= as_of.as_of_at

),

-- the latest answer after purchase counts: a customer is one voice, however often asked
responses_after_purchase as (

    select
        customers.prospect_id,
        responses.survey_type,
        responses.nps_score,
        responses.csat_score,
        row_number() over (
            partition by customers.prospect_id, responses.survey_type
            order by responses.submitted_at desc, responses.response_id desc
        ) as answer_rank
    from customers
    inner join prospects
        on customers.prospect_id = prospects.prospect_id
    inner join responses
        on
            prospects.contact_id = responses.contact_id
            and customers.purchase_at <= responses.submitted_at
    where
        (responses.survey_type = 'nps' and responses.nps_score is not null)
        or (responses.survey_type = 'csat' and responses.csat_score is not null)

),

scores as (

    select
        prospect_id,
        max(case when survey_type = 'nps' then nps_score end) as nps_score,
        max(case when survey_type = 'csat' then csat_score end) as csat_score
    from responses_after_purchase
    where answer_rank = 1
    group by prospect_id

),

referrals as (

    select
        leads.referred_by_prospect_id as prospect_id,
        count(*) as referred_prospects,
        sum(case when leads.zmot_at is not null then 1 else 0 end) as referred_zmots,
        sum(case when leads.has_reached_fmot then 1 else 0 end) as referred_fmots
    from leads
    where leads.referred_by_prospect_id is not null
    group by leads.referred_by_prospect_id

),

final as (

    select
        -- ids
        cast(customers.prospect_id as {{ dbt.type_string() }}) as prospect_id,
        cast(customers.owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings
        cast(customers.team as {{ dbt.type_string() }}) as team,
        cast(customers.lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(
            case
                when scores.nps_score is null then null
                when scores.nps_score >= {{ var('nps_promoter_min_score') }} then 'promoter'
                when scores.nps_score <= {{ var('nps_detractor_max_score') }} then 'detractor'
                else 'passive'
            end as {{ dbt.type_string() }}
        ) as nps_category,

        -- numerics
        cast(scores.nps_score as {{ dbt.type_int() }}) as nps_score,
        cast(scores.csat_score as {{ dbt.type_int() }}) as csat_score,
        cast(
            case when scores.nps_score >= {{ var('nps_promoter_min_score') }} then 1 else 0 end
            as {{ dbt.type_int() }}
        ) as is_promoter_count,
        cast(
            case when scores.nps_score <= {{ var('nps_detractor_max_score') }} then 1 else 0 end
            as {{ dbt.type_int() }}
        ) as is_detractor_count,
        cast(coalesce(referrals.referred_prospects, 0) as {{ dbt.type_bigint() }}) as referred_prospects,
        cast(coalesce(referrals.referred_zmots, 0) as {{ dbt.type_bigint() }}) as referred_zmots,
        cast(coalesce(referrals.referred_fmots, 0) as {{ dbt.type_bigint() }}) as referred_fmots,

        -- booleans
        scores.nps_score is not null as has_nps_response,
        scores.csat_score is not null as has_csat_response,
        case when advocacy_supported.has_umot then coalesce(customers.umot_at <= as_of.as_of_at, false) end
            as has_reached_umot,
        case when advocacy_supported.has_rmot then coalesce(customers.rmot_at <= as_of.as_of_at, false) end
            as has_reached_rmot,

        -- dates
        cast(customers.cohort_month as date) as cohort_month,

        -- timestamps
        cast(customers.purchase_at as {{ dbt.type_timestamp() }}) as purchase_at,
        cast(
            case when customers.umot_at <= as_of.as_of_at then customers.umot_at end
            as {{ dbt.type_timestamp() }}
        ) as umot_at

    from customers
    cross join as_of
    cross join advocacy_supported
    left join scores
        on customers.prospect_id = scores.prospect_id
    left join referrals
        on customers.prospect_id = referrals.prospect_id

)

select * from final
