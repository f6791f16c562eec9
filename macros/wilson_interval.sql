{#- Wilson score interval of a binomial proportion (successes out of trials): unlike the normal
    approximation it stays inside [0, 1] and is honest for small counts and rates near 0 or 1.
    Null when there are no trials. z defaults to the two-sided 95 % quantile. At 0 successes the
    lower bound is exactly 0 (and at all successes the upper exactly 1): the formula gets there
    only up to rounding, and a bound of 3e-17 above a rate of 0 would read as a bug in BI. -#}
{% macro wilson_interval_bound(successes, trials, side, z=1.959963984540054) -%}
    {%- set n = "cast(nullif(" ~ trials ~ ", 0) as " ~ type_double() ~ ")" -%}
    {%- set p = "(cast(" ~ successes ~ " as " ~ type_double() ~ ") / " ~ n ~ ")" -%}
    {%- set sign = "-" if side == "lower" else "+" -%}
    {%- set exact_at = "0" if side == "lower" else trials -%}
    case
        when ({{ trials }}) > 0 and ({{ successes }}) = ({{ exact_at }}) then {{ "0.0" if side == "lower" else "1.0" }}
        else
            ({{ p }} + {{ z * z }} / (2 * {{ n }})
                {{ sign }} {{ z }} * sqrt({{ p }} * (1 - {{ p }}) / {{ n }} + {{ z * z }} / (4 * {{ n }} * {{ n }})))
            / (1 + {{ z * z }} / {{ n }})
    end
{%- endmacro %}

{% macro wilson_interval_lower(successes, trials, z=1.959963984540054) -%}
    {{ wilson_interval_bound(successes, trials, 'lower', z) }}
{%- endmacro %}

{% macro wilson_interval_upper(successes, trials, z=1.959963984540054) -%}
    {{ wilson_interval_bound(successes, trials, 'upper', z) }}
{%- endmacro %}
