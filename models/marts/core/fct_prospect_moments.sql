{#- One row per prospect and moment reached.
    Out-of-order rule: a moment is out of order when it was reached strictly before a moment
    that comes earlier in the journey (lower moment_order) for the same prospect, e.g. a review
    dated before the purchase, or a deal won before the first inquiry. Such a moment is kept and
    flagged (is_out_of_order), but it neither has nor serves as a previous moment: previous
    moment and seconds since it are computed among in-order moments only, so no negative or
    spurious duration reaches a metric. -#}
with

moments as (

    select * from {{ ref('int_moments_unioned') }}

),

moment_definitions as (

    select * from {{ ref('moment_definitions') }}

),

moments_with_order as (

    select
        moments.*,
        moment_definitions.moment_order,
        -- the precision of the export's own value ('day' for a date alone), not of its source system
        moments.reached_at_precision as timestamp_precision,
        max(moments.reached_at) over (
            partition by moments.prospect_id
            order by moment_definitions.moment_order
            rows between unbounded preceding and 1 preceding
        ) as latest_earlier_moment_reached_at
    from moments
    inner join moment_definitions
        on moments.moment = moment_definitions.moment

),

order_flagged as (

    select
        *,
        coalesce(reached_at < latest_earlier_moment_reached_at, false) as is_out_of_order
    from moments_with_order

),

-- the previous moment is the in-order one reached just before in time (journey order on ties)
moments_sequenced as (

    select
        *,
        lag(moment) over (
            partition by prospect_id, is_out_of_order
            order by reached_at, moment_order
        ) as previous_in_order_moment,
        lag(reached_at) over (
            partition by prospect_id, is_out_of_order
            order by reached_at, moment_order
        ) as previous_in_order_reached_at
    from order_flagged

),

final as (

    select
        -- ids
        cast({{ surrogate_key(['prospect_id', 'moment']) }} as {{ dbt.type_string() }}) as prospect_moment_id,
        cast(prospect_id as {{ dbt.type_string() }}) as prospect_id,
        cast(source_event_id as {{ dbt.type_string() }}) as source_event_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- strings
        cast(moment as {{ dbt.type_string() }}) as moment,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(case when not is_out_of_order then previous_in_order_moment end as {{ dbt.type_string() }})
            as previous_moment,
        cast(timestamp_precision as {{ dbt.type_string() }}) as timestamp_precision,

        -- numerics
        cast(moment_order as {{ dbt.type_int() }}) as moment_order,
        cast(
            case
                when not is_out_of_order
                    then {{ seconds_between('previous_in_order_reached_at', 'reached_at') }}
            end as {{ type_double() }}
        ) as seconds_since_previous_moment,

        -- booleans
        cast(is_out_of_order as boolean) as is_out_of_order,

        -- timestamps
        cast(reached_at as {{ dbt.type_timestamp() }}) as reached_at

    from moments_sequenced

)

select * from final
