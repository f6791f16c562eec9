{#- One row: the as-of time of this build. Open prospects are censored here and open leads aged
    against it. The mart_as_of var pins it; by default it is the latest moment in the data, so a
    rebuild of the same data gives the same marts whatever the wall clock says. -#}
with

moments as (

    select * from {{ ref('int_moments_unioned') }}

),

final as (

    {% if var('mart_as_of', none) -%}
    select cast('{{ var("mart_as_of") }}' as {{ dbt.type_timestamp() }}) as as_of_at
    {%- else -%}
    select cast(max(reached_at) as {{ dbt.type_timestamp() }}) as as_of_at
    from moments
    {%- endif %}

)

select * from final
