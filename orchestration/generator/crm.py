"""The prospects' story as DuckDB tables: owners, leads, response attempts, fmot, deals,
surveys, reviews, referrals and time logs. All times are integer epoch seconds (UTC), except
web times (microseconds). Anything at or after the as-of time (ctx.end_s) is dropped here,
so every table holds exactly what the landing files will show."""

from __future__ import annotations

import math

import duckdb

from . import reputation
from .context import DAY, Ctx
from .params import ARRIVAL_TIME_ZONE, BUCKETS, BUSINESS_HOURS, NEVER, WITHIN_1H
from .sql import lit, one_of, pick, sql_list

FIRST_NAMES = (
    "Anna", "Ben", "Carla", "David", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kate",
    "Liam", "Maya", "Noah", "Olivia", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
    "Will", "Xenia", "Yusuf", "Zoë", "José", "Siobhán", "Chloé", "Mateo",
)
LAST_NAMES = (
    "Smith", "Johnson", "Nguyen", "García", "Müller", "O'Connor", "Schmidt", "Rossi", "Kowalski",
    "Chen", "Patel", "Dubois", "Silva", "Andersson", "Kim", "Murphy", "Novak", "Costa", "Ito",
    "Brown", "Taylor", "Wilson", "Khan", "Lopez", "Fischer", "Jensen", "Moreau", "Walsh",
)
EMAIL_DOMAINS = ("example.com", "example.org", "mail.example", "corp.example", "acme.example")

# Engagement kinds: (type, outcome, templated, duration range in seconds or None, subjects).
# Meaningful (fmot) only as an OUTBOUND call_long / meeting_completed by a qualified owner.
KINDS = {
    "call_long": ("CALL", "CONNECTED", None, (301, 2700), ("Discovery call", "Intro call", "Call: requirements")),
    "call_short": ("CALL", "CONNECTED", None, (20, 289), ("Quick call", "Call back", "Call: wrong time")),
    "call_no_answer": ("CALL", "NO_ANSWER", None, (5, 30), ("Call attempt", "Follow-up call")),
    "call_voicemail": ("CALL", "LEFT_VOICEMAIL", None, (25, 90), ("Left voicemail", "Call attempt")),
    "call_busy": ("CALL", "BUSY", None, (0, 0), ("Call attempt",)),
    "email_template": ("EMAIL", "SENT", True, None,
                       ("Thanks for your inquiry", "Your request, next steps", "We received your message")),
    "email_personal": ("EMAIL", "SENT", False, None,
                       ("Re: your demo request", "Quick question about your team, and timing", 'Re: "pricing" question')),
    "email_auto_reply": ("EMAIL", "AUTO_REPLY", False, None, ("Automatic reply: Out of office", "Auto: received")),
    "email_inbound": ("EMAIL", "SENT", False, None,
                      ("Re: still waiting for a call back", "Re: my request, again", "Re: can we talk?")),
    "meeting_completed": ("MEETING", "COMPLETED", None, (1800, 3600), ("Demo", "Discovery meeting", "Solution workshop")),
    "meeting_no_show": ("MEETING", "NO_SHOW", None, (1800, 1800), ("Demo", "Discovery meeting")),
    "meeting_scheduled": ("MEETING", "SCHEDULED", None, (1800, 3600), ("Demo", "Intro meeting")),
    "note": ("NOTE", None, None, None, ("Call notes", "Lead researched", "Internal note, see CRM")),
}
# Follow-ups after the first attempt: (kind, weight, direction, owner). None of them is
# meaningful: the traps (long call / held meeting) are by unqualified owners.
EXTRAS = (
    ("note", 0.18, None, "owner"),
    ("email_template", 0.17, "OUTBOUND", "owner"),
    ("email_personal", 0.08, "OUTBOUND", "support"),
    ("email_auto_reply", 0.08, "INBOUND", "owner"),
    ("email_inbound", 0.08, "INBOUND", "owner"),
    ("call_no_answer", 0.14, "OUTBOUND", "owner"),
    ("call_voicemail", 0.09, "OUTBOUND", "owner"),
    ("call_busy", 0.03, "OUTBOUND", "owner"),
    ("call_short", 0.06, "OUTBOUND", "owner"),
    ("meeting_no_show", 0.03, "OUTBOUND", "owner"),
    ("meeting_scheduled", 0.03, "OUTBOUND", "owner"),
    ("call_long", 0.015, "OUTBOUND", "unqualified"),
    ("meeting_completed", 0.015, "OUTBOUND", "unqualified"),
)
MAX_EXTRAS = 8
EXPECTED_FMOT_RATE = 0.2  # what the planted bucket mix and rates give, near enough to staff teams
DEAL_STAGES = ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
               "decisionmakerboughtin", "contractsent", "closedwon", "closedlost")


def owner_rows(ctx: Ctx) -> list[dict]:
    """Each team is staffed for its planted outreach hours at about six hours a rep a workday
    (two SDRs to an AE, one Support), so no rep logs an impossible day; a few unqualified."""
    workdays = ctx.days * 5 / 7
    staff = []
    for t in ctx.planted.teams:
        expected_hours = ctx.n_prospects * t.share * EXPECTED_FMOT_RATE * t.hours_per_good_lead
        n_reps = max(3, math.ceil(expected_hours / (workdays * 6)))
        n_ae = max(1, n_reps // 3)
        staff += [(t.name, role) for role, n in (("SDR", n_reps - n_ae), ("AE", n_ae), ("Support", 1)) for _ in range(n)]
    teams = [t.name for t in ctx.planted.teams]
    staff += [(teams[i % len(teams)], ("Front Desk", "Intern")[i % 2]) for i in range(max(2, len(staff) // 10))]
    rows = []
    for i, (team, role) in enumerate(staff):
        first = FIRST_NAMES[(7 * i + ctx.seed) % len(FIRST_NAMES)]
        last = LAST_NAMES[(11 * i + ctx.seed) % len(LAST_NAMES)]
        rows.append({
            "owner_id": str(71000000 + 1237 * i), "first_name": first, "last_name": last,
            "email": f"{first.lower()}.{i}@ourcompany.example", "team": team, "role": role,
            "qualified": role in ("SDR", "AE", "Support"),
        })
    return rows


def build_owners(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> None:
    rows = owner_rows(ctx)
    values = ", ".join("(" + ", ".join(lit(v) for v in (i, *r.values())) + ")" for i, r in enumerate(rows))
    con.execute(f"""
        CREATE OR REPLACE TABLE owners AS
        SELECT * FROM (VALUES {values}) o(ord, owner_id, first_name, last_name, email, team, role, qualified)
    """)
    con.execute("""
        CREATE OR REPLACE TABLE team_owners AS
        SELECT team,
               list(owner_id ORDER BY ord) FILTER (WHERE role IN ('SDR', 'AE')) AS lead_owners,
               list(owner_id ORDER BY ord) FILTER (WHERE role = 'AE') AS aes,
               list(owner_id ORDER BY ord) FILTER (WHERE role = 'Support') AS support,
               (SELECT list(owner_id ORDER BY ord) FROM owners WHERE NOT qualified) AS unqualified
        FROM owners WHERE qualified GROUP BY team
    """)


def build_leads(con: duckdb.DuckDBPyConnection, ctx: Ctx, spine: str) -> None:
    """Contact attributes for a spine (idx, referrer_idx, zmot_s, channel)."""
    p = ctx.planted
    con.execute(f"""
        CREATE OR REPLACE TABLE leads AS
        WITH a AS (
            SELECT s.*,
                   CASE s.channel WHEN 'OFFLINE_SOURCES' THEN false
                                  WHEN 'REFERRALS' THEN u('l.web', idx) < 0.5 ELSE true END AS is_web,
                   {pick("u('l.team', idx)", [(t.name, t.share) for t in p.teams])} AS team,
                   {pick("u('l.method', idx)", p.contact_method_mix)} AS pref,
                   {one_of('l.first', 'idx', FIRST_NAMES)} AS first_name,
                   {one_of('l.last', 'idx', LAST_NAMES)} AS last_name
            FROM {spine} s
        )
        SELECT a.*,
               (5100000000 + idx * 7 + ui('l.id', idx, 7))::VARCHAR AS contact_id,
               -- web leads: zmot is the form submit (microseconds); the CRM record follows it
               -- after a 6-120 s sync delay. Offline leads: zmot is the CRM Create Date.
               zmot_s * 1000000 + CASE WHEN is_web THEN ui('l.us', idx, 1000000) ELSE 0 END AS zmot_us,
               zmot_s + CASE WHEN is_web THEN 6 + ui('l.sync', idx, 115) ELSE 0 END AS create_s,
               list_extract(t.lead_owners, 1 + ui('l.owner', idx, len(t.lead_owners))) AS owner_id,
               -- some people type their address capitalized: identity must lowercase before hashing
               CASE WHEN u('l.case', idx) < 0.2 THEN local ELSE lower(local) END
                   || '.' || idx || '@' || {one_of('l.domain', 'idx', EMAIL_DOMAINS)} AS email,
               '+1 ' || (201 + ui('l.area', idx, 700)) || '-555-' || lpad(ui('l.phone', idx, 10000)::VARCHAR, 4, '0') AS phone
        FROM (SELECT *, regexp_replace(strip_accents(first_name || '.' || last_name), '[^A-Za-z.]', '', 'g') AS local FROM a) a
        JOIN team_owners t USING (team)
    """)


def factor(column: str, factors: tuple[tuple[str, float], ...]) -> str:
    """A planted multiplier looked up by a category (1 for one the table does not name)."""
    return f"(CASE {column} {' '.join(f'WHEN {lit(k)} THEN {lit(v)}' for k, v in factors)} ELSE 1.0 END)"


def arrival_of(epoch_s: str) -> str:
    """The arrival stratum of an inquiry: business hours (local, weekdays), weekday off hours, weekend."""
    local = f"timezone({lit(ARRIVAL_TIME_ZONE)}, to_timestamp({epoch_s}))"
    opens, closes = BUSINESS_HOURS
    return (f"(CASE WHEN isodow({local}) >= 6 THEN 'weekend' "
            f"WHEN hour({local}) >= {opens} AND hour({local}) < {closes} THEN 'business_hours' "
            "ELSE 'weekday_off_hours' END)")


def tilted_bucket(draw: str, weights: tuple[float, ...], speed: str) -> str:
    """A bucket drawn from the planted mix with the within-1-h weights multiplied by `speed`."""
    terms = [f"({w!r} * {speed})" if i in WITHIN_1H else repr(w) for i, w in enumerate(weights)]
    scaled = f"({draw} * ({' + '.join(terms)}))"
    arms = [f"WHEN {scaled} < {' + '.join(terms[:i + 1])} THEN {i}" for i in range(len(terms) - 1)]
    return f"(CASE {' '.join(arms)} ELSE {len(terms) - 1} END)"


def build_story(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> None:
    """One row per lead: planted bucket, first attempt, fmot, deal stages, survey, review."""
    p, end = ctx.planted, ctx.end_s
    lo = sql_list(b[1] if b[1] is not None else 0 for b in BUCKETS)
    hi = sql_list(b[2] if b[2] is not None else 0 for b in BUCKETS)
    team = {name: f"(CASE team {' '.join(f'WHEN {lit(t.name)} THEN {getattr(t, name)!r}' for t in p.teams)} END)"
            for name in ("proposal_rate", "win_rate")}
    start_month = ctx.start.year * 12 + ctx.start.month - 1
    nps = sql_list(p.nps_by_cohort)
    # the public rating in force at zmot moves P(fmot): see reputation.py
    fmot_band = reputation.multiplier_sql(ctx, "fmot", "planted_rating_band")
    review_share = (f"CASE sentiment WHEN 'promoter' THEN {p.review_share_promoters!r} "
                    f"WHEN 'passive' THEN {p.review_share_passives!r} ELSE {p.review_share_detractors!r} END")

    def before_end(expr: str) -> str:
        return f"CASE WHEN {expr} < {end} THEN {expr} END"

    con.execute(f"""
        CREATE OR REPLACE TABLE story AS
        WITH arrived AS (
            SELECT l.*, {arrival_of('l.zmot_s')} AS arrival FROM leads l
        ), stratified AS (
            SELECT *,
                   {factor('channel', p.speed_factor_by_source)} * {factor('arrival', p.speed_factor_by_arrival)} AS speed_factor,
                   {factor('channel', p.fmot_factor_by_source)} * {factor('arrival', p.fmot_factor_by_arrival)} AS fmot_factor
            FROM arrived
        ), planned AS (
            SELECT *, {tilted_bucket("u('s.bucket', idx)", p.bucket_mix, 'speed_factor')} AS planned_bucket,
                   {reputation.band_sql(ctx, 'zmot_s')} AS planted_rating_band
            FROM stratified
        ), bounded AS (
            -- delays stay >= 2 s inside the bucket, after the CRM record exists and before the
            -- as-of time; a lead too young for its planted bucket is simply not answered yet
            SELECT *,
                   greatest({lo}[planned_bucket + 1] + 2, create_s - zmot_s + 1) AS dmin,
                   least({hi}[planned_bucket + 1] - 2, {end} - 2 - zmot_s) AS dmax
            FROM planned
        ), bucketed AS (
            SELECT *, CASE WHEN planned_bucket = {NEVER} OR dmin > dmax THEN {NEVER} ELSE planned_bucket END AS bucket
            FROM bounded
        ), attempted AS (
            SELECT *,
                   -- the lead's planted P(fmot) in the bucket it was actually answered in
                   {sql_list(p.p_fmot)}[bucket + 1] * fmot_factor AS p_fmot,
                   CASE WHEN bucket < {NEVER} THEN zmot_s + dmin + ui('s.delay', idx, dmax - dmin + 1) END AS attempt_s,
                   CASE pref WHEN 'phone' THEN CASE WHEN u('s.email', idx) < {p.email_instead_of_call!r} THEN 'EMAIL' ELSE 'CALL' END
                             WHEN 'email' THEN 'EMAIL'
                             ELSE CASE WHEN u('s.mtype', idx) < 0.5 THEN 'CALL' ELSE 'EMAIL' END END AS attempt_type,
                   u('s.unq', idx) < {p.unqualified_first_responder!r} AS attempt_unqualified,
                   bucket < {NEVER} AND u('s.fmot', idx) < {sql_list(p.p_fmot)}[bucket + 1] * fmot_factor * {fmot_band} AS is_fmot
            FROM bucketed
        ), engaged AS (
            SELECT a.*,
                   is_fmot AND attempt_type = 'CALL' AND NOT attempt_unqualified AND u('s.same', idx) < 0.5 AS fmot_is_attempt,
                   CASE WHEN attempt_unqualified THEN list_extract(t.unqualified, 1 + ui('s.unqowner', idx, len(t.unqualified)))
                        ELSE owner_id END AS attempt_owner,
                   list_extract(t.aes, 1 + ui('s.ae', idx, len(t.aes))) AS deal_owner,
                   list_extract(t.support, 1 + ui('s.support', idx, len(t.support))) AS support_owner,
                   t.unqualified AS unqualified_owners
            FROM attempted a JOIN team_owners t USING (team)
        ), fmot AS (
            SELECT *,
                   CASE WHEN fmot_is_attempt THEN attempt_s
                        -- within 4 days of the attempt, squeezed before the as-of time
                        WHEN is_fmot THEN attempt_s + 1 + ui('s.lag', idx, least({4 * DAY}, {end} - 1 - attempt_s)) END AS fmot_s,
                   CASE WHEN fmot_is_attempt THEN 'call_long'
                        WHEN u('s.ftype', idx) < CASE WHEN pref = 'meeting' THEN 0.7 ELSE 0.2 END THEN 'meeting_completed'
                        ELSE 'call_long' END AS fmot_kind,
                   CASE WHEN bucket < {NEVER} THEN ui('s.extra', idx, {MAX_EXTRAS + 1}) ELSE 0 END AS n_extra,
                   is_fmot AND u('d.has', idx) < {p.deal_rate!r} AS has_deal,
                   u('d.prop', idx) < {team['proposal_rate']} AS proposal,
                   u('d.win', idx) < {team['win_rate']} AS win
            FROM engaged
        ), deal AS (
            SELECT *,
                   CASE WHEN has_deal THEN fmot_s + 3600 + ui('d.lag1', idx, {6 * DAY}) END AS s1
            FROM fmot
        ), stages AS (
            SELECT *,
                   s1 + {DAY} + ui('d.lag2', idx, {4 * DAY}) AS s2,
                   s1 + {2 * DAY} + ui('d.lag2', idx, {4 * DAY}) + ui('d.lag3', idx, {9 * DAY}) AS s3_
            FROM deal
        ), stages2 AS (
            SELECT *,
                   CASE WHEN proposal THEN s3_ END AS s3,
                   CASE WHEN proposal AND win THEN s3_ + {DAY} + ui('d.lag4', idx, {9 * DAY}) END AS s4,
                   CASE WHEN NOT proposal THEN s2 + {2 * DAY} + ui('d.lost', idx, {18 * DAY})
                        WHEN NOT win THEN s3_ + {3 * DAY} + ui('d.lost', idx, {17 * DAY}) END AS lost_
            FROM stages
        ), stages3 AS (
            SELECT *,
                   s4 + {DAY} + ui('d.lag5', idx, {6 * DAY}) AS s5,
                   s4 + {2 * DAY} + ui('d.lag5', idx, {6 * DAY}) + ui('d.lag6', idx, {9 * DAY}) AS won_
            FROM stages2
        ), experience AS (
            SELECT *,
                   {nps}[least(year(make_timestamp(zmot_us)) * 12 + month(make_timestamp(zmot_us)) - 1 - {start_month},
                               {len(p.nps_by_cohort) - 1}) + 1] AS planted_nps,
                   CASE WHEN won_ < {end} AND u('v.nps', idx) < {p.nps_response_rate!r}
                        THEN won_ + {7 * DAY} + ui('v.nps_lag', idx, {38 * DAY}) END AS nps_
            FROM stages3
        ), sentiment AS (
            SELECT *,
                   CASE WHEN u('v.cat', idx) < (1 - {p.nps_passive_share!r} + planted_nps / 100) / 2 THEN 'promoter'
                        WHEN u('v.cat', idx) < (1 + {p.nps_passive_share!r} + planted_nps / 100) / 2 THEN 'passive'
                        ELSE 'detractor' END AS sentiment,
                   CASE WHEN won_ < {end} AND u('v.csat', idx) < {p.csat_response_rate!r}
                        THEN won_ + {7 * DAY} + ui('v.csat_lag', idx, {38 * DAY}) END AS csat_
            FROM experience
        )
        SELECT * EXCLUDE (s1, s2, s3, s4, s5, won_, lost_, s3_, nps_, csat_),
               {before_end('s1')} AS deal_s1, {before_end('s2')} AS deal_s2, {before_end('s3')} AS deal_s3,
               {before_end('s4')} AS deal_s4, {before_end('s5')} AS deal_s5,
               {before_end('won_')} AS won_s, {before_end('lost_')} AS lost_s,
               {before_end('nps_')} AS nps_s, {before_end('csat_')} AS csat_s,
               CASE sentiment WHEN 'promoter' THEN 9 + (u('v.score', idx) < 0.6)::INT
                              WHEN 'passive' THEN 7 + (u('v.score', idx) < 0.5)::INT
                              ELSE [0, 1, 2, 3, 4, 4, 5, 5, 5, 6, 6, 6, 6][1 + ui('v.score', idx, 13)] END AS nps_score,
               CASE sentiment WHEN 'promoter' THEN 4 + (u('v.csat_score', idx) < 0.7)::INT
                              WHEN 'passive' THEN 3 + (u('v.csat_score', idx) < 0.5)::INT
                              ELSE 1 + ui('v.csat_score', idx, 3) END AS csat_score,
               {before_end(f"CASE WHEN nps_ < {end} AND u('r.has', idx) < {review_share} THEN nps_ + {DAY} + ui('r.lag', idx, {20 * DAY}) END")} AS review_s,
               CASE sentiment WHEN 'promoter' THEN 4 + (u('r.stars', idx) < 0.8)::INT
                              WHEN 'passive' THEN 3 + (u('r.stars', idx) < 0.5)::INT
                              ELSE 1 + ui('r.stars', idx, 2) END AS stars,
               {reputation.platform_sql("u('r.platform', idx)")} AS platform,
               (10 + ui('d.amount', idx, 190)) * CASE team WHEN 'Enterprise' THEN 75000 ELSE 25000 END AS amount_cents
        FROM sentiment
    """)


def build_referrals(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> str:
    """Referred leads' spine: customers (bought >= 2 days before as-of) each refer one new lead."""
    end = ctx.end_s
    con.execute(f"""
        CREATE OR REPLACE TABLE referral_spine AS
        SELECT {ctx.n_base} + row_number() OVER (ORDER BY u('ref.pick', idx), idx) - 1 AS idx,
               idx AS referrer_idx,
               won_s + 3600 + ui('ref.lag', idx, least({60 * DAY}, {end - 2 * DAY} - won_s)) AS zmot_s,
               'REFERRALS' AS channel
        FROM story WHERE won_s <= {end - 2 * DAY}
        QUALIFY row_number() OVER (ORDER BY u('ref.pick', idx), idx) <= {ctx.n_referred_target}
    """)
    return "referral_spine"


def build_base_spine(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> str:
    # zmot at least an hour inside the window, so the zmot web session is entirely in it
    con.execute(f"""
        CREATE OR REPLACE TABLE base_spine AS
        SELECT idx, NULL::BIGINT AS referrer_idx,
               {ctx.start_s + 3600} + ui('l.zmot', idx, {ctx.end_s - ctx.start_s - 7200}) AS zmot_s,
               {pick("u('l.channel', idx)", ctx.planted.channel_mix)} AS channel
        FROM range({ctx.n_base}) t(idx)
    """)
    return "base_spine"


def build_engagements(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> None:
    """First attempt (slot 0), the fmot engagement unless it is the attempt (slot 1), follow-ups."""
    end = ctx.end_s
    extra_kind = pick("u('x.kind', eid)", [(i, w) for i, (_, w, _, _) in enumerate(EXTRAS)])
    extra_dir = sql_list(d for _, _, d, _ in EXTRAS)
    extra_who = sql_list(w for _, _, _, w in EXTRAS)

    def kind_field(i: int) -> str:
        return f"(CASE kind {' '.join(f'WHEN {lit(k)} THEN {lit(v[i])}' for k, v in KINDS.items())} END)"

    dur_lo = f"(CASE kind {' '.join(f'WHEN {lit(k)} THEN {v[3][0]}' for k, v in KINDS.items() if v[3])} END)"
    dur_hi = f"(CASE kind {' '.join(f'WHEN {lit(k)} THEN {v[3][1]}' for k, v in KINDS.items() if v[3])} END)"
    subject = "(CASE kind " + " ".join(
        f"WHEN {lit(k)} THEN {sql_list(v[4])}[1 + ui('e.subject', eid, {len(v[4])})]" for k, v in KINDS.items()
    ) + " END)"
    con.execute(f"""
        CREATE OR REPLACE TABLE engagements AS
        WITH attempt AS (
            SELECT idx, idx * 16 AS eid, attempt_s AS at_s, attempt_owner AS owner_id, 'OUTBOUND' AS direction,
                   CASE WHEN fmot_is_attempt THEN 'call_long'
                        WHEN attempt_type = 'EMAIL' THEN CASE WHEN u('e0.tpl', idx) < 0.6 THEN 'email_template' ELSE 'email_personal' END
                        -- a long call by the front desk is a conversation, but not with a qualified person
                        WHEN attempt_unqualified AND u('e0.long', idx) < 0.4 THEN 'call_long'
                        ELSE {pick("u('e0.call', idx)", [("call_no_answer", .4), ("call_voicemail", .3), ("call_busy", .1), ("call_short", .2)])}
                   END AS kind
            FROM story WHERE bucket < {NEVER}
        ), meaningful AS (
            SELECT idx, idx * 16 + 1, fmot_s, owner_id, 'OUTBOUND', fmot_kind
            FROM story WHERE is_fmot AND NOT fmot_is_attempt
        ), extra_draw AS (
            SELECT s.idx, s.idx * 16 + 2 + k AS eid, s.attempt_s, s.owner_id, s.support_owner, s.unqualified_owners
            FROM story s JOIN range({MAX_EXTRAS}) r(k) ON r.k < s.n_extra
        ), extra AS (
            SELECT idx, eid,
                   attempt_s + 1 + ui('x.at', eid, least({30 * DAY}, {end} - 1 - attempt_s)),
                   CASE {extra_who}[kind_i + 1]
                        WHEN 'support' THEN CASE WHEN u('x.who', eid) < 0.5 THEN support_owner ELSE owner_id END
                        WHEN 'unqualified' THEN list_extract(unqualified_owners, 1 + ui('x.who', eid, len(unqualified_owners)))
                        ELSE owner_id END,
                   {extra_dir}[kind_i + 1],
                   {sql_list(k for k, *_ in EXTRAS)}[kind_i + 1]
            FROM (SELECT *, {extra_kind} AS kind_i FROM extra_draw)
        ), rows AS (
            SELECT * FROM attempt UNION ALL SELECT * FROM meaningful UNION ALL SELECT * FROM extra
        )
        SELECT idx, (20000000000 + eid)::VARCHAR AS engagement_id, at_s, owner_id, direction, kind,
               {kind_field(0)} AS etype, {kind_field(1)} AS outcome, {kind_field(2)}::BOOLEAN AS templated,
               ({dur_lo} + ui('e.duration', eid, {dur_hi} - {dur_lo} + 1)) * 1000 AS duration_ms,
               {subject} AS subject,
               u('e.dup', eid) < {ctx.planted.duplicate_engagements!r} AS duplicated
        FROM rows
    """)


def build_time_logs(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> None:
    """Outreach hours per team = planted hours per good lead x the team's good leads, in quarter
    hours spread over its SDRs/AEs and workdays (integer shares, remainder to the first cells)."""
    p = ctx.planted
    rate = f"(CASE team {' '.join(f'WHEN {lit(t.name)} THEN {t.hours_per_good_lead!r}' for t in p.teams)} END)"
    con.execute(f"""
        CREATE OR REPLACE TABLE workdays AS
        SELECT d, (DATE '{ctx.start.isoformat()}' + d::INT) AS day FROM range({ctx.days}) t(d)
        WHERE isodow(DATE '{ctx.start.isoformat()}' + d::INT) <= 5;

        CREATE OR REPLACE TABLE team_outreach AS
        SELECT team, count(*) FILTER (WHERE fmot_s IS NOT NULL) AS good_leads,
               round({rate} * 4 * count(*) FILTER (WHERE fmot_s IS NOT NULL))::BIGINT AS quarters
        FROM story GROUP BY team;

        CREATE OR REPLACE TABLE time_logs AS
        WITH cells AS (
            SELECT o.owner_id, o.ord, o.team, w.day, w.d, 1 + ui('t.weight', o.ord * 100000 + w.d, 4) AS weight
            FROM owners o, workdays w WHERE o.role IN ('SDR', 'AE')
        ), shares AS (
            SELECT c.*, q.quarters,
                   q.quarters * weight // sum(weight) OVER (PARTITION BY c.team) AS base,
                   row_number() OVER (PARTITION BY c.team ORDER BY u('t.rank', c.ord * 100000 + c.d), c.ord, c.d) AS rk
            FROM cells c JOIN team_outreach q USING (team)
        ), outreach AS (
            SELECT owner_id, ord, day, 'outreach' AS activity,
                   base + (rk <= quarters - sum(base) OVER (PARTITION BY team))::INT AS quarters
            FROM shares
        ), other AS (
            SELECT o.owner_id, o.ord, w.day, a.activity,
                   1 + ui('t.other', o.ord * 100000 + w.d * 2 + a.i, CASE a.activity WHEN 'admin' THEN 8 ELSE 12 END) AS quarters
            FROM owners o, workdays w, (VALUES (0, 'admin'), (1, 'meetings')) a(i, activity)
            WHERE u('t.has', o.ord * 100000 + w.d * 2 + a.i) < CASE a.activity WHEN 'admin' THEN 0.6 ELSE 0.3 END
              AND (a.activity = 'admin' OR o.role IN ('SDR', 'AE'))
        )
        SELECT * FROM outreach WHERE quarters > 0 UNION ALL SELECT * FROM other
    """)
