{#- One row per rep (the lead's CRM owner) and monthly zmot cohort: how fast the rep's leads were
    answered (median and 90th percentile of the hours to the first response attempt, answered
    leads with sub-day timestamps), how often the first response showed each value-destroying
    pattern (int_first_responses_assessed), and the fmot rate adjusted for the rep's lead mix by
    indirect standardisation: observed fmots against those expected had each lead converted at
    the rate of its stratum (var speed_to_lead_strata) over all leads, with Byar's 95 % interval.
    A rep with good leads no longer looks good for it. No rows without CRM activities. -#}
{%- set z = 1.959963984540054 -%}
with

leads as (

    select * from {{ ref('int_leads_stratified') }}

),

first_responses as (

    select * from {{ ref('int_first_responses_assessed') }}

),

supported as (

    select * from {{ ref('int_moments_supported') }}

),

supported_leads as (

    select * from leads
    where exists (
        select 1 from supported
        where moment = 'first_response' and is_supported
    )

),

stratum_rates as (

    select
        stratum_key,
        cast(sum(case when has_reached_fmot then 1 else 0 end) as {{ type_double() }}) / count(*) as fmot_rate
    from supported_leads
    group by stratum_key

),

rep_leads as (

    select
        supported_leads.owner_id,
        supported_leads.team,
        supported_leads.cohort_month,
        supported_leads.has_response_attempt,
        supported_leads.is_answered_within_1h,
        supported_leads.has_reached_fmot,
        stratum_rates.fmot_rate as expected_fmot,
        case
            when supported_leads.has_response_attempt and not supported_leads.is_response_day_precise
                then supported_leads.response_seconds / 3600.0
        end as response_hours,
        coalesce(first_responses.is_email_when_call_requested, false) as is_email_when_call_requested,
        coalesce(first_responses.is_templated_first_reply, false) as is_templated_first_reply,
        coalesce(first_responses.is_deferral_without_follow_up, false) as is_deferral_without_follow_up,
        coalesce(first_responses.is_asked_again_for_form_data, false) as is_asked_again_for_form_data,
        coalesce(first_responses.is_call_requested, false) as is_call_requested
    from supported_leads
    inner join stratum_rates
        on supported_leads.stratum_key = stratum_rates.stratum_key
    left join first_responses
        on supported_leads.prospect_id = first_responses.prospect_id

),

rep_months as (

    select
        owner_id,
        team,
        cohort_month,
        count(*) as leads,
        sum(case when has_response_attempt then 1 else 0 end) as leads_answered,
        sum(case when is_answered_within_1h then 1 else 0 end) as leads_answered_within_1h,
        {{ percentile_cont(0.5, 'response_hours') }} as response_hours_p50,
        {{ percentile_cont(0.9, 'response_hours') }} as response_hours_p90,
        sum(case when is_call_requested then 1 else 0 end) as leads_call_requested,
        sum(case when is_email_when_call_requested then 1 else 0 end) as answered_in_writing_when_call_requested,
        sum(case when is_templated_first_reply then 1 else 0 end) as templated_first_replies,
        sum(case when is_deferral_without_follow_up then 1 else 0 end) as deferrals_without_follow_up,
        sum(case when is_asked_again_for_form_data then 1 else 0 end) as asked_again_for_form_data,
        sum(case when has_reached_fmot then 1 else 0 end) as leads_reached_fmot,
        sum(expected_fmot) as expected_fmot
    from rep_leads
    group by owner_id, team, cohort_month

),

final as (

    select
        -- ids
        owner_id,

        -- strings
        team,

        -- numerics
        cast(leads as {{ dbt.type_bigint() }}) as leads,
        cast(leads_answered as {{ dbt.type_bigint() }}) as leads_answered,
        cast(leads_answered_within_1h as {{ dbt.type_bigint() }}) as leads_answered_within_1h,
        cast(response_hours_p50 as {{ type_double() }}) as response_hours_p50,
        cast(response_hours_p90 as {{ type_double() }}) as response_hours_p90,
        cast(leads_call_requested as {{ dbt.type_bigint() }}) as leads_call_requested,
        cast(answered_in_writing_when_call_requested as {{ dbt.type_bigint() }}) as answered_in_writing_when_call_requested,
        cast(templated_first_replies as {{ dbt.type_bigint() }}) as templated_first_replies,
        cast(deferrals_without_follow_up as {{ dbt.type_bigint() }}) as deferrals_without_follow_up,
        cast(asked_again_for_form_data as {{ dbt.type_bigint() }}) as asked_again_for_form_data,
        case when leads_answered > 0 then cast(answered_in_writing_when_call_requested as {{ type_double() }}) / leads_answered end
            as answered_in_writing_when_call_requested_rate,
        case when leads_answered > 0 then cast(templated_first_replies as {{ type_double() }}) / leads_answered end
            as templated_first_reply_rate,
        case when leads_answered > 0 then cast(deferrals_without_follow_up as {{ type_double() }}) / leads_answered end
            as deferral_without_follow_up_rate,
        case when leads_answered > 0 then cast(asked_again_for_form_data as {{ type_double() }}) / leads_answered end
            as asked_again_rate,
        cast(leads_reached_fmot as {{ dbt.type_bigint() }}) as leads_reached_fmot,
        cast(leads_reached_fmot as {{ type_double() }}) / leads as fmot_rate,
        cast(expected_fmot as {{ type_double() }}) as expected_fmot,
        case when expected_fmot > 0 then leads_reached_fmot / expected_fmot end as fmot_observed_over_expected,
        case
            when expected_fmot > 0 and leads_reached_fmot = 0 then 0.0
            when expected_fmot > 0
                then leads_reached_fmot
                * power(1 - 1 / (9.0 * leads_reached_fmot) - {{ z }} / (3 * sqrt(leads_reached_fmot)), 3)
                / expected_fmot
        end as fmot_observed_over_expected_ci95_lower,
        case
            when expected_fmot > 0
                then (leads_reached_fmot + 1)
                * power(1 - 1 / (9.0 * (leads_reached_fmot + 1)) + {{ z }} / (3 * sqrt(leads_reached_fmot + 1)), 3)
                / expected_fmot
        end as fmot_observed_over_expected_ci95_upper,

        -- dates
        cohort_month

    from rep_months

)

select * from final
