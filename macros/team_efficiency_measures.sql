{#- The additive counts of team efficiency and the ratios beside them, for any grain (rep-week,
    team-month): the ratios are computed from the summed counts of that grain. -#}
{% macro team_efficiency_measures() -%}
        cast(outreach_hours as {{ type_double() }}) as outreach_hours,
        cast(good_leads as {{ dbt.type_bigint() }}) as good_leads,
        cast(outreach_hours / nullif(good_leads, 0) as {{ type_double() }}) as hours_per_good_lead,
        cast(decided_deals as {{ dbt.type_bigint() }}) as decided_deals,
        cast(decided_deals_after_proposal as {{ dbt.type_bigint() }}) as decided_deals_after_proposal,
        cast(won_deals as {{ dbt.type_bigint() }}) as won_deals,
        cast(won_deals_after_proposal as {{ dbt.type_bigint() }}) as won_deals_after_proposal,
        cast(
            cast(decided_deals_after_proposal as {{ type_double() }}) / nullif(decided_deals, 0)
            as {{ type_double() }}
        ) as proposal_rate,
        cast(
            cast(won_deals_after_proposal as {{ type_double() }}) / nullif(decided_deals_after_proposal, 0)
            as {{ type_double() }}
        ) as win_rate,
{%- endmacro %}
