{#- The journey's steps with the labels and order every chart uses: join a mart's moment code
    (from_moment, to_moment, stage, coverage_item) to it to label and sort it. -#}
with

steps as (

    select * from {{ ref('journey_steps') }}

),

final as (

    select
        -- ids
        cast(step as {{ dbt.type_string() }}) as moment,

        -- strings
        cast(step_label as {{ dbt.type_string() }}) as moment_label,
        cast(description as {{ dbt.type_string() }}) as description,

        -- numerics
        cast(step_order as {{ dbt.type_int() }}) as moment_order,

        -- booleans
        cast(is_moment as boolean) as is_moment_of_truth

    from steps

)

select * from final
