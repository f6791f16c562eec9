"""truth.json: the planted parameters and every figure the marts should reproduce, counted on
the clean data actually written (dirt excluded)."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime, timezone

import duckdb

from .context import Ctx
from .params import BUCKETS, NEVER, WITHIN_1H
from .truth_reputation import reputation_truth
from .web import ANON, CPC, EMAIL, PAID_SOCIAL, PRE, ZMOT

Z95 = 1.959963984540054


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None


def ratio_interval(p_a: float, n_a: int, p_b: float, n_b: int) -> list[float] | None:
    """95% interval of an observed p_a/p_b: delta method on the log of the ratio."""
    if not (n_a and n_b and p_a > 0 and p_b > 0):
        return None
    se = math.sqrt((1 - p_a) / (n_a * p_a) + (1 - p_b) / (n_b * p_b))
    ratio = p_a / p_b
    return [round(ratio * math.exp(-Z95 * se), 4), round(ratio * math.exp(Z95 * se), 4)]


def _speed_to_lead(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> dict:
    # a bucket's planted P(fmot) is its leads' mean: the source and arrival factors move it
    mean_p = dict(con.execute("SELECT bucket, avg(p_fmot) FROM story GROUP BY bucket").fetchall())
    p = [mean_p.get(i, base) for i, base in enumerate(ctx.planted.p_fmot)]
    rows = dict((b, (n, f)) for b, n, f in con.execute(
        "SELECT bucket, count(*), count(fmot_s) FROM story GROUP BY bucket").fetchall())
    buckets = {}
    for i, (label, lo, hi) in enumerate(BUCKETS):
        n, f = rows.get(i, (0, 0))
        buckets[label] = {"lower_s": lo, "upper_s": hi, "leads": n, "fmot": f,
                          "planted_p": round(p[i], 6), "realized_rate": _rate(f, n)}

    def ratio(slow: int, planted: float) -> dict:
        (n1, f1), (n2, f2), (ns, fs) = rows.get(0, (0, 0)), rows.get(1, (0, 0)), rows.get(slow, (0, 0))
        n_fast = n1 + n2
        p_fast = (n1 * p[0] + n2 * p[1]) / n_fast if n_fast else 0.0
        return {
            # the planted effect is the adjusted one (speed_to_lead_adjusted); this is the crude
            # ratio, which the confounding of source and arrival time inflates
            "planted": planted,
            # what the planted p's give with the realized bucket sizes, and its sampling interval
            "expected": round(p_fast / p[slow], 4) if p[slow] else None,
            "ci95": ratio_interval(p_fast, n_fast, p[slow], ns),
            "realized": round(((f1 + f2) / n_fast) / (fs / ns), 4) if n_fast and fs else None,
            "fast_leads": n_fast, "fast_fmot": f1 + f2, "slow_leads": ns, "slow_fmot": fs,
        }

    return {
        "rule": "bucket = seconds from zmot to the first OUTBOUND CALL/EMAIL/MEETING (any owner); "
                "fmot = first OUTBOUND CALL CONNECTED >= 300000 ms or MEETING COMPLETED by a Qualified owner",
        "buckets": buckets,
        "within_1h_over_1_2h": ratio(2, ctx.planted.within_1h_over_1_2h),
        "within_1h_over_gt_24h": ratio(4, ctx.planted.within_1h_over_gt_24h),
    }


def mantel_haenszel(strata: list[tuple[float, float, float, float]]) -> tuple[float | None, list[float] | None]:
    """Mantel-Haenszel risk ratio over strata of (fast fmot, fast leads, slow fmot, slow leads),
    with the 95% interval of the Greenland-Robins variance of its log. Cells may be expected
    (non-integer) counts. A stratum without both arms carries no information and drops out."""
    r = s = v = 0.0
    for a, n1, b, n0 in strata:
        total = n1 + n0
        if not (n1 and n0):
            continue
        r += a * n0 / total
        s += b * n1 / total
        v += ((a + b) * n1 * n0 - a * b * total) / total**2
    if not (r > 0 and s > 0):
        return None, None
    ratio, se = r / s, math.sqrt(v / (r * s))
    return ratio, [ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se)]


def _speed_to_lead_adjusted(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> dict:
    """Within-1-h against each slower bucket, crude and stratified (lead source x arrival), and
    what answering every lead answered after 1 h within it would have given."""
    fast = ", ".join(str(b) for b in WITHIN_1H)
    cells = con.execute(f"""
        SELECT team, channel, arrival, CASE WHEN bucket IN ({fast}) THEN -1 ELSE bucket END AS arm,
               count(*), count(fmot_s), sum(p_fmot), sum(p_fmot * (1 - p_fmot))
        FROM story WHERE bucket < {NEVER} GROUP BY ALL
    """).fetchall()
    teams = [t.name for t in ctx.planted.teams]

    def strata(arm: int, team: str | None, expected: bool) -> list[tuple[float, float, float, float]]:
        by_stratum: dict = {}
        for t, channel, arrival, a, n, f, sp, _ in cells:
            if team is not None and t != team:
                continue
            cell = by_stratum.setdefault((channel, arrival), [0.0, 0, 0.0, 0])
            if a == -1:
                cell[0] += sp if expected else f
                cell[1] += n
            elif a == arm:
                cell[2] += sp if expected else f
                cell[3] += n
        return [tuple(c) for c in by_stratum.values()]

    def crude(st: list) -> float | None:
        a, n1, b, n0 = (sum(c[i] for c in st) for i in range(4))
        return a / n1 / (b / n0) if n1 and n0 and b else None

    def rounded(x):
        return None if x is None else [round(v, 4) for v in x] if isinstance(x, list) else round(x, 4)

    within_1h, base = ctx.planted.derived["p_fmot_within_1h"], ctx.planted.p_fmot
    ratios = {}
    for arm, (label, *_) in enumerate(BUCKETS):
        if arm in WITHIN_1H or arm == NEVER:
            continue
        expected_st, realized_st = strata(arm, None, True), strata(arm, None, False)
        adjusted, adjusted_ci = mantel_haenszel(expected_st)
        realized, realized_ci = mantel_haenszel(realized_st)
        a, n1, b, n0 = (sum(c[i] for c in expected_st) for i in range(4))
        ratios[label] = {
            "planted": round(within_1h / base[arm], 4),
            # what the planted P's give on the realized strata, and its sampling interval
            "expected_adjusted": rounded(adjusted), "adjusted_ci95": rounded(adjusted_ci),
            "expected_crude": rounded(crude(expected_st)),
            "crude_ci95": ratio_interval(a / n1, n1, b / n0, n0) if n1 and n0 else None,
            "realized_adjusted": rounded(realized), "realized_adjusted_ci95": rounded(realized_ci),
            "realized_crude": rounded(crude(realized_st)),
            "by_team": {team: {"realized_adjusted": rounded(mantel_haenszel(strata(arm, team, False))[0]),
                               "realized_crude": rounded(crude(strata(arm, team, False)))} for team in teams},
        }
    return {
        "strata": "lead source (Original Source) x arrival: weekday inside business hours, weekday "
                  "outside them, weekend (zmot local time, working_hours seed)",
        "fast_buckets": [BUCKETS[b][0] for b in WITHIN_1H],
        "ratios": ratios,
        "opportunity": _response_opportunity(cells, teams),
    }


def _response_opportunity(cells: list, teams: list[str]) -> dict:
    """Expected additional fmot had every lead answered after 1 h been answered within it, at its
    stratum's within-1-h rate: the planted value, and the sampling interval of the estimator
    (stratum fast rate x slow leads - slow fmot) around it."""
    fast_rate, fast_n = {}, {}
    for _, channel, arrival, arm, n, _, sp, _ in cells:
        if arm == -1:
            fast_n[(channel, arrival)] = fast_n.get((channel, arrival), 0) + n
            fast_rate[(channel, arrival)] = fast_rate.get((channel, arrival), 0.0) + sp
    fast_rate = {k: v / fast_n[k] for k, v in fast_rate.items()}

    def estimate(team: str | None) -> dict:
        gain = var = 0.0
        slow_n = slow_f = 0
        slow_by_stratum: dict = {}
        for t, channel, arrival, arm, n, f, sp, spq in cells:
            if arm == -1 or (team is not None and t != team) or (channel, arrival) not in fast_rate:
                continue
            slow_by_stratum[(channel, arrival)] = slow_by_stratum.get((channel, arrival), 0) + n
            gain += n * fast_rate[(channel, arrival)] - sp
            var += spq
            slow_n, slow_f = slow_n + n, slow_f + f
        for k, n in slow_by_stratum.items():
            var += n * n * fast_rate[k] * (1 - fast_rate[k]) / fast_n[k]
        sd = math.sqrt(var)
        return {"planted": round(gain, 2), "ci95": [round(gain - Z95 * sd, 2), round(gain + Z95 * sd, 2)],
                "slow_answered_leads": slow_n, "slow_answered_fmot": slow_f}

    return {"expected_additional_fmot": estimate(None) | {"by_team": {t: estimate(t) for t in teams}}}


def _email_instead_of_call(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> dict:
    n, by_email, f_email, f_call = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE attempt_type = 'EMAIL'),
               count(fmot_s) FILTER (WHERE attempt_type = 'EMAIL'), count(fmot_s) FILTER (WHERE attempt_type = 'CALL')
        FROM story WHERE pref = 'phone' AND bucket < {NEVER}
    """).fetchone()
    return {"planted_share": ctx.planted.email_instead_of_call, "phone_leads_answered": n,
            "first_answered_by_email": by_email, "realized_share": _rate(by_email, n),
            # no planted effect on fmot beyond the bucket's: these rates only differ by chance
            "fmot_rate_first_by_email": _rate(f_email, by_email), "fmot_rate_first_by_call": _rate(f_call, n - by_email)}


def _teams(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> dict:
    rows = con.execute("""
        WITH hours AS (
            SELECT o.team, sum(t.quarters) AS quarters FROM time_logs t JOIN owners o USING (owner_id)
            WHERE t.activity = 'outreach' GROUP BY o.team
        ), deals AS (
            SELECT team, count(*) AS deals,
                   count(*) FILTER (WHERE won_s IS NOT NULL OR lost_s IS NOT NULL) AS decided,
                   count(*) FILTER (WHERE deal_s3 IS NOT NULL AND (won_s IS NOT NULL OR lost_s IS NOT NULL)) AS decided_proposals,
                   count(won_s) AS won
            FROM story WHERE deal_s1 IS NOT NULL GROUP BY team
        )
        SELECT q.team, q.good_leads, coalesce(h.quarters, 0), coalesce(d.deals, 0), coalesce(d.decided, 0),
               coalesce(d.decided_proposals, 0), coalesce(d.won, 0)
        FROM team_outreach q LEFT JOIN hours h USING (team) LEFT JOIN deals d USING (team)
    """).fetchall()
    by_name = {r[0]: r[1:] for r in rows}
    out = {}
    for t in ctx.planted.teams:
        good, quarters, deals, decided, proposals, won = by_name.get(t.name, (0,) * 6)
        out[t.name] = {
            "good_leads": good, "outreach_hours": quarters / 4,
            "hours_per_good_lead": {"planted": t.hours_per_good_lead,
                                    "realized": round(quarters / 4 / good, 2) if good else None},
            "deals": deals, "decided_deals": decided, "decided_after_proposal": proposals, "won": won,
            "proposal_rate": {"planted": t.proposal_rate, "realized": _rate(proposals, decided)},
            "win_rate": {"planted": t.win_rate, "realized": _rate(won, proposals)},
        }
    return out


def _nps(con: duckdb.DuckDBPyConnection) -> dict:
    rows = con.execute("""
        SELECT strftime(make_timestamp(zmot_us), '%Y-%m') AS cohort, any_value(planted_nps), count(*),
               count(*) FILTER (WHERE nps_score >= 9), count(*) FILTER (WHERE nps_score <= 6)
        FROM story WHERE nps_s IS NOT NULL GROUP BY cohort ORDER BY cohort
    """).fetchall()
    return {c: {"planted_nps": planted, "responses": n, "promoters": pro, "detractors": det,
                "nps": round(100 * (pro - det) / n, 2)} for c, planted, n, pro, det in rows}


def _reviews(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> dict:
    p = ctx.planted
    pro, pro_rev, pas, det, oth_rev = con.execute("""
        SELECT count(*) FILTER (WHERE nps_score >= 9), count(review_s) FILTER (WHERE nps_score >= 9),
               count(*) FILTER (WHERE nps_score BETWEEN 7 AND 8), count(*) FILTER (WHERE nps_score <= 6),
               count(review_s) FILTER (WHERE nps_score < 9)
        FROM story WHERE nps_s IS NOT NULL
    """).fetchone()
    oth = pas + det
    return {"planted_promoters": p.review_share_promoters, "promoters": pro, "promoters_with_review": pro_rev,
            "realized_promoters": _rate(pro_rev, pro),
            # passives and detractors review at their own planted rates: the others' planted
            # share is their mix over the respondents actually written
            "planted_others": round((pas * p.review_share_passives + det * p.review_share_detractors) / oth, 6) if oth else None,
            "others": oth, "others_with_review": oth_rev, "realized_others": _rate(oth_rev, oth)}


def _moments(con: duckdb.DuckDBPyConnection) -> dict:
    campaign = f"src IN ({CPC}, {PAID_SOCIAL}, {EMAIL})"
    known, anonymous = con.execute(f"""
        SELECT count(DISTINCT uid) FILTER (WHERE kind IN ({PRE}, {ZMOT})),
               count(DISTINCT uid) FILTER (WHERE kind = {ANON})
        FROM sessions WHERE {campaign}
    """).fetchone()
    row = con.execute("""
        SELECT count(*), count(fmot_s), count(won_s), count(coalesce(nps_s, csat_s)), count(review_s),
               (SELECT count(*) FROM story WHERE referrer_idx IS NOT NULL)
        FROM story
    """).fetchone()
    return {"stimulus": known, "zmot": row[0], "fmot": row[1], "purchase": row[2], "smot": row[3],
            "umot": row[4], "rmot": row[5], "stimulus_anonymous_visitors": anonymous}


def build_truth(con: duckdb.DuckDBPyConnection, ctx: Ctx, files: dict, web: dict) -> dict:
    c = dict(zip(
        ("prospects", "web_leads", "offline_leads", "referred_leads", "engagements", "deals", "survey_responses", "reviews"),
        con.execute("""
            SELECT count(*), count(*) FILTER (WHERE is_web), count(*) FILTER (WHERE NOT is_web),
                   count(referrer_idx), (SELECT count(*) FROM engagements), count(deal_s1),
                   count(nps_s) + count(csat_s), count(review_s)
            FROM story""").fetchone()))
    c["anonymous_visitors"] = con.execute(f"SELECT count(DISTINCT uid) FROM sessions WHERE kind = {ANON}").fetchone()[0]
    c["owners"] = con.execute("SELECT count(*) FROM owners").fetchone()[0]
    c["web_events"] = web["clean_rows"]
    c["web_events_written"] = web["rows_written"]
    c["files"] = {name: f["rows_written"] for name, f in files.items()} | {"web/events_*.ndjson": web["rows_written"]}
    planted = asdict(ctx.planted)
    planted.pop("derived")
    planted["p_fmot_by_bucket"] = {b[0]: round(p, 6) for b, p in zip(BUCKETS, ctx.planted.p_fmot)}
    return {
        "parameters": {"scale": ctx.scale, "seed": ctx.seed, "start": ctx.start.isoformat(), "days": ctx.days,
                       "planted": planted},
        "window": {"start": _iso(ctx.start_s), "end": _iso(ctx.end_s)},
        "as_of": _iso(ctx.end_s),
        "time_zones": {"crm": "America/New_York", "reviews": "Europe/Berlin", "survey": "UTC", "web": "UTC"},
        "counts": c,
        "dirt": files | {"web/events_*.ndjson": web},
        "moments": _moments(con),
        "speed_to_lead": _speed_to_lead(con, ctx),
        "speed_to_lead_adjusted": _speed_to_lead_adjusted(con, ctx),
        "email_instead_of_call": _email_instead_of_call(con, ctx),
        "teams": _teams(con, ctx),
        "nps_by_cohort": _nps(con),
        "promoter_reviews": _reviews(con, ctx),
        "reputation": reputation_truth(con, ctx),
    }
