{#- NPS and CSAT per calendar month (UTC) and survey, over every answer: linked to a known prospect
    or not (an in-product NPS survey names no CRM contact), beside the post-purchase view of
    mart_experience_advocacy. Counts are additive, so a quarter or a year is a sum, then a ratio. -#}
with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

customers as (

    select * from {{ ref('int_leads_attributed') }}

),

responses_classified as (

    select
        responses.response_id,
        responses.survey_type,
        responses.nps_score,
        responses.csat_score,
        cast({{ dbt.date_trunc('month', 'responses.submitted_at') }} as date) as survey_month,
        customers.prospect_id is not null as is_from_known_prospect,
        coalesce(customers.purchase_at <= responses.submitted_at, false) as is_after_purchase
    from responses
    left join customers
        on responses.contact_id = customers.contact_id

),

aggregated as (

    select
        survey_month,
        survey_type,
        count(*) as responses,
        sum(case when nps_score is not null then 1 else 0 end) as nps_responses,
        sum(case when nps_score >= {{ var('nps_promoter_min_score') }} then 1 else 0 end) as promoters,
        sum(
            case
                when nps_score > {{ var('nps_detractor_max_score') }}
                    and nps_score < {{ var('nps_promoter_min_score') }} then 1
                else 0
            end
        ) as passives,
        sum(case when nps_score <= {{ var('nps_detractor_max_score') }} then 1 else 0 end) as detractors,
        sum(case when csat_score is not null then 1 else 0 end) as csat_responses,
        sum(csat_score) as csat_score_sum,
        sum(case when is_from_known_prospect then 1 else 0 end) as responses_from_known_prospects,
        sum(case when is_after_purchase then 1 else 0 end) as responses_after_purchase
    from responses_classified
    group by survey_month, survey_type

),

final as (

    select
        -- strings
        cast(survey_type as {{ dbt.type_string() }}) as survey_type,

        -- numerics
        cast(responses as {{ dbt.type_bigint() }}) as responses,
        cast(nps_responses as {{ dbt.type_bigint() }}) as nps_responses,
        cast(promoters as {{ dbt.type_bigint() }}) as promoters,
        cast(passives as {{ dbt.type_bigint() }}) as passives,
        cast(detractors as {{ dbt.type_bigint() }}) as detractors,
        -- NPS on the -100 … 100 scale; null, not 0, for a month without NPS answers
        cast(
            100.0 * (promoters - detractors) / nullif(nps_responses, 0) as {{ type_double() }}
        ) as nps,
        cast(csat_responses as {{ dbt.type_bigint() }}) as csat_responses,
        cast(csat_score_sum as {{ dbt.type_bigint() }}) as csat_score_sum,
        cast(cast(csat_score_sum as {{ type_double() }}) / nullif(csat_responses, 0) as {{ type_double() }})
            as csat_average,
        cast(responses_from_known_prospects as {{ dbt.type_bigint() }}) as responses_from_known_prospects,
        cast(responses_after_purchase as {{ dbt.type_bigint() }}) as responses_after_purchase,

        -- dates
        cast(survey_month as date) as survey_month

    from aggregated

)

select * from final
