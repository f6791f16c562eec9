with

moments as (

    select * from {{ ref('int_moments_unioned') }}

),

moment_definitions as (

    select * from {{ ref('moment_definitions') }}

),

moments_ordered as (

    select
        moments.*,
        moment_definitions.moment_order,
        -- the previous moment is the one reached just before in time (journey order on ties)
        lag(moments.moment) over (
            partition by moments.prospect_id
            order by moments.reached_at, moment_definitions.moment_order
        ) as previous_moment,
        lag(moments.reached_at) over (
            partition by moments.prospect_id
            order by moments.reached_at, moment_definitions.moment_order
        ) as previous_reached_at
    from moments
    inner join moment_definitions
        on moments.moment = moment_definitions.moment

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
        cast(previous_moment as {{ dbt.type_string() }}) as previous_moment,

        -- numerics
        cast(moment_order as {{ dbt.type_int() }}) as moment_order,
        cast(
            {{ seconds_between('previous_reached_at', 'reached_at') }} as {{ type_double() }}
        ) as seconds_since_previous_moment,

        -- timestamps
        cast(reached_at as {{ dbt.type_timestamp() }}) as reached_at

    from moments_ordered

)

select * from final
