{#- One row per channel: the channels seed, plus any channel the moments carry that the seed
    does not know (as unmapped), so the facts' relationship to this dimension always holds. -#}
with

channels as (

    select * from {{ ref('channels') }}

),

moments as (

    select * from {{ ref('int_moments_unioned') }}

),

unmapped_channels as (

    select distinct
        moments.channel,
        'unmapped' as channel_group,
        false as is_paid,
        'Seen in the moments, missing from the channels seed' as description
    from moments
    left join channels
        on moments.channel = channels.channel
    where
        moments.channel is not null
        and channels.channel is null

),

all_channels as (

    select channel, channel_group, is_paid, description from channels
    union all
    select channel, channel_group, is_paid, description from unmapped_channels

),

final as (

    select
        -- ids
        cast(channel as {{ dbt.type_string() }}) as channel,

        -- strings
        cast(channel_group as {{ dbt.type_string() }}) as channel_group,
        cast(description as {{ dbt.type_string() }}) as description,

        -- booleans
        cast(is_paid as boolean) as is_paid

    from all_channels

)

select * from final
