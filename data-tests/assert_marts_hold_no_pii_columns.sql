-- the marts schema is published to BI: no column there may carry personal data
-- depends_on: {{ ref('fct_prospect_moments') }}
-- depends_on: {{ ref('fct_prospect_journey') }}
-- depends_on: {{ ref('dim_prospects') }}
-- depends_on: {{ ref('dim_reps') }}
-- depends_on: {{ ref('mart_speed_to_lead') }}
-- depends_on: {{ ref('mart_speed_to_lead_adjusted') }}
-- depends_on: {{ ref('mart_response_opportunity') }}
-- depends_on: {{ ref('mart_response_coverage') }}
-- depends_on: {{ ref('mart_rep_scorecard') }}
with

mart_columns as (

    {{ schema_columns(ref("dim_prospects").database, ref("dim_prospects").schema) }}

),

violations as (

    select *
    from mart_columns
    where
        lower(column_name) like '%email%'
        or lower(column_name) like '%phone%'
        or lower(column_name) like '%first_name%'
        or lower(column_name) like '%last_name%'
        or lower(column_name) like '%reviewer_name%'

)

select * from violations
