{#- What a deal stage means (open, proposal, won, lost). The mapping file says it per export value
    (canonical column stage_meaning, a value map); where a configuration does not map it, the
    stage's label is compared with the vars won/lost/proposal_deal_stages (normalised codes). -#}
{% macro deal_stage_meaning(meaning_column, stage_column) -%}
    coalesce(
        lower(nullif(trim({{ meaning_column }}), '')),
        case
            when {{ normalize_code(stage_column) }} in ({{ sql_list(var('won_deal_stages')) }}) then 'won'
            when {{ normalize_code(stage_column) }} in ({{ sql_list(var('lost_deal_stages')) }}) then 'lost'
            when {{ normalize_code(stage_column) }} in ({{ sql_list(var('proposal_deal_stages')) }}) then 'proposal'
            else 'open'
        end
    )
{%- endmacro %}
