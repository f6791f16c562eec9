-- fmot must follow the inquiry: an fmot before zmot means the "at/after zmot" rule broke
with

moments as (

    select * from {{ ref('fct_prospect_moments') }}

),

zmot as (

    select
        prospect_id,
        reached_at as zmot_at
    from moments
    where moment = 'zmot'

),

fmot as (

    select
        prospect_id,
        reached_at as fmot_at
    from moments
    where moment = 'fmot'

),

violations as (

    select
        fmot.prospect_id,
        zmot.zmot_at,
        fmot.fmot_at
    from fmot
    left join zmot
        on fmot.prospect_id = zmot.prospect_id
    where zmot.zmot_at is null or fmot.fmot_at < zmot.zmot_at

)

select * from violations
