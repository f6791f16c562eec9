{#- A ratio outside its own interval, or an interval upside down, is a broken formula, not data. -#}
select *
from {{ ref('mart_speed_to_lead_adjusted') }}
where
    not (crude_rate_ratio_ci95_lower <= crude_rate_ratio and crude_rate_ratio <= crude_rate_ratio_ci95_upper)
    or not (
        adjusted_rate_ratio_ci95_lower <= adjusted_rate_ratio
        and adjusted_rate_ratio <= adjusted_rate_ratio_ci95_upper
    )
    or fast_leads_reached_fmot > fast_leads
    or slow_leads_reached_fmot > slow_leads
    or informative_strata > strata
