{#- dbt.hash is md5; e-mail matching needs sha256 hex to equal what the web form sends. -#}
{% macro sha256_hex(expr) -%}
    {{ return(adapter.dispatch('sha256_hex', 'moments_of_truth')(expr)) }}
{%- endmacro %}

{% macro default__sha256_hex(expr) -%}
    encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro duckdb__sha256_hex(expr) -%}
    sha256({{ expr }})
{%- endmacro %}

{% macro spark__sha256_hex(expr) -%}
    sha2({{ expr }}, 256)
{%- endmacro %}

{#- The normalisation both sides must agree on before hashing an e-mail address. -#}
{% macro hash_email(email_expr) -%}
    case
        when nullif(trim({{ email_expr }}), '') is not null
            then {{ moments_of_truth.sha256_hex('lower(trim(' ~ email_expr ~ '))') }}
    end
{%- endmacro %}
