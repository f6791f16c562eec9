"""truth.json's `reputation`: the public rating as written, the rating band in force on each
lead's zmot day with the planted band effect on fmot and purchase, and the survey -> review loop,
all counted on the reviews and leads actually written."""

from __future__ import annotations

import math

import duckdb

from . import reputation
from .context import DAY, Ctx
from .params import NEVER
from .sql import lit, sql_list

Z95 = 1.959963984540054
NEGATIVE_MAX_STARS = 2  # dbt var negative_review_max_rating
FUNNEL_WINDOW_DAYS = 90  # dbt var funnel_conversion_window_days


def wilson(successes: int, trials: int) -> list[float] | None:
    if not trials:
        return None
    p, n, z2 = successes / trials, trials, Z95 * Z95
    centre, half = p + z2 / (2 * n), Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return [round(max(0.0, (centre - half) / (1 + z2 / n)), 6), round(min(1.0, (centre + half) / (1 + z2 / n)), 6)]


def _expected(sum_p: float, sum_var: float, n: int) -> dict:
    """Mean planted probability over n leads and the 95 % sampling interval of the rate."""
    if not n:
        return {"expected_rate": None, "ci95": None}
    mean, sd = sum_p / n, math.sqrt(sum_var) / n
    return {"expected_rate": round(mean, 6), "ci95": [round(mean - Z95 * sd, 6), round(mean + Z95 * sd, 6)]}


def _create_tables(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> None:
    p = ctx.planted
    bands = p.rating_bands
    band_case = "CASE " + " ".join(
        f"WHEN {' AND '.join(c for c in (f'rating >= {lo!r}' if lo is not None else '', f'rating < {hi!r}' if hi is not None else '') if c) or 'true'} THEN {i}"
        for i, (_, lo, hi) in enumerate(bands)) + " END"
    team = {name: f"(CASE team {' '.join(f'WHEN {lit(t.name)} THEN {getattr(t, name)!r}' for t in p.teams)} END)"
            for name in ("proposal_rate", "win_rate")}
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE all_reviews AS
        SELECT review_s, stars, platform, true AS by_customer FROM story WHERE review_s IS NOT NULL
        UNION ALL
        SELECT review_s, stars, platform, false FROM public_reviews;

        -- the rating in force during a day: every review published before the day began
        CREATE OR REPLACE TEMP TABLE day_ratings AS
        SELECT d, rating, CASE WHEN rating IS NOT NULL THEN {band_case} END AS band
        FROM (
            SELECT d, (SELECT sum(stars) * 1.0 / count(*) FROM all_reviews WHERE review_s < {ctx.start_s} + d * {DAY}) AS rating
            FROM range({ctx.days}) t(d)
        );

        CREATE OR REPLACE TEMP TABLE lead_bands AS
        SELECT s.idx, r.band, s.planted_rating_band, s.fmot_s IS NOT NULL AS has_fmot, s.won_s IS NOT NULL AS has_purchase,
               s.zmot_us // 1000000 + {FUNNEL_WINDOW_DAYS * DAY} <= {ctx.end_s} AS has_full_window,
               CASE WHEN s.bucket < {NEVER} THEN {sql_list(p.p_fmot)}[s.bucket + 1] ELSE 0 END
                   * s.fmot_factor * {reputation.multiplier_sql(ctx, "fmot", "s.planted_rating_band")} AS p_fmot,
               {p.deal_rate!r} * {team['proposal_rate']} * {team['win_rate']} AS p_purchase_given_fmot
        FROM story s
        JOIN day_ratings r ON r.d = (s.zmot_us // 1000000 - {ctx.start_s}) // {DAY};
    """)


def _bands(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> dict:
    m_f = reputation.multipliers(ctx, "fmot")
    rows = con.execute("""
        SELECT band, count(*), count(*) FILTER (WHERE has_fmot), sum(p_fmot), sum(p_fmot * (1 - p_fmot)),
               count(*) FILTER (WHERE has_full_window), count(*) FILTER (WHERE has_full_window AND has_purchase),
               sum(p_fmot * p_purchase_given_fmot) FILTER (WHERE has_full_window),
               sum(p_fmot * p_purchase_given_fmot * (1 - p_fmot * p_purchase_given_fmot)) FILTER (WHERE has_full_window),
               count(*) FILTER (WHERE band IS DISTINCT FROM planted_rating_band)
        FROM lead_bands GROUP BY band ORDER BY band NULLS FIRST
    """).fetchall()
    out = {}
    for band, n, f, sp, sv, nw, pw, spp, svp, mismatched in rows:
        label = ctx.planted.rating_bands[band][0] if band is not None else None
        out[label or "no rating yet"] = {
            "rating_band": label,
            "planted_fmot_multiplier": round(m_f[band], 6),
            "leads": n, "leads_in_another_planted_band": mismatched,
            "fmot": {"leads": n, "reached": f, "realized_rate": round(f / n, 6) if n else None,
                     "wilson95": wilson(f, n), **_expected(sp, sv, n)},
            # purchase: leads whose funnel window (90 days) ended before the as-of time
            "purchase_within_window": {"leads": nw, "reached": pw, "realized_rate": round(pw / nw, 6) if nw else None,
                                       "wilson95": wilson(pw, nw), **_expected(spp or 0.0, svp or 0.0, nw)},
        }
    return out


def _months(con: duckdb.DuckDBPyConnection) -> dict:
    rows = con.execute(f"""
        SELECT month, n, avg_stars, neg, cust, sum(total) OVER w * 1.0 / sum(n) OVER w
        FROM (
            SELECT strftime(make_timestamp(review_s * 1000000), '%Y-%m') AS month, count(*) AS n, avg(stars) AS avg_stars,
                   count(*) FILTER (WHERE stars <= {NEGATIVE_MAX_STARS}) AS neg, count(*) FILTER (WHERE by_customer) AS cust,
                   sum(stars) AS total
            FROM all_reviews GROUP BY month
        )
        WINDOW w AS (ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ORDER BY month
    """).fetchall()
    return {m: {"reviews": n, "average_rating": round(avg, 6), "negative_reviews": neg, "by_customers": cust,
                "unknown_authors": n - cust, "running_rating_at_month_end": round(running, 6)}
            for m, n, avg, neg, cust, running in rows}


def _loop(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> dict:
    p = ctx.planted
    planted = {"promoter": p.review_share_promoters, "passive": p.review_share_passives,
               "detractor": p.review_share_detractors}
    rows = con.execute(f"""
        SELECT CASE WHEN nps_score >= 9 THEN 'promoter' WHEN nps_score <= 6 THEN 'detractor' ELSE 'passive' END AS category,
               count(*), count(review_s), count(review_s) FILTER (WHERE stars <= {NEGATIVE_MAX_STARS}),
               avg(stars) FILTER (WHERE review_s IS NOT NULL)
        FROM story WHERE nps_s IS NOT NULL GROUP BY category
    """).fetchall()
    out = {}
    for category, n, published, negative, avg in rows:
        out[category] = {
            "respondents": n, "published": published, "negative": negative,
            "planted_publish_rate": planted[category], "realized_publish_rate": round(published / n, 6) if n else None,
            "publish_wilson95": wilson(published, n),
            "realized_negative_rate": round(negative / n, 6) if n else None, "negative_wilson95": wilson(negative, n),
            "average_rating": round(avg, 6) if avg is not None else None,
        }
    # detractors' reviews are 1-2 stars: their planted negative-review rate is their review rate
    if "detractor" in out:
        out["detractor"]["planted_negative_rate"] = p.review_share_detractors
    return out


def reputation_truth(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> dict:
    _create_tables(con, ctx)
    total, by_customer, avg = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE by_customer), avg(stars) FROM all_reviews").fetchone()
    return {
        "rule": "rating in force on a zmot day = average stars of every review published before that day "
                "began (UTC); negative = stars <= 2; purchase counted for leads whose 90-day funnel window "
                "ended before the as-of time",
        "planted": {"rating_path": [list(pt) for pt in ctx.planted.rating_path],
                    "rating_bands": [list(b) for b in ctx.planted.rating_bands],
                    "review_share_promoters": ctx.planted.review_share_promoters,
                    "review_share_passives": ctx.planted.review_share_passives,
                    "review_share_detractors": ctx.planted.review_share_detractors},
        "reviews": {"total": total, "by_customers": by_customer, "unknown_authors": total - by_customer,
                    "average_rating": round(avg, 6) if avg is not None else None},
        "by_month": _months(con),
        "bands": _bands(con, ctx),
        "review_loop": _loop(con, ctx),
    }
