"""GA4 BigQuery-export-shaped web events: sessions as a table, expanded into events one batch
of days at a time and written as one NDJSON shard per UTC day."""

from __future__ import annotations

from pathlib import Path

import duckdb

from .context import DAY, Ctx
from .sql import lit, pick, sql_list

HOUR = 3600
US = 1_000_000
# Session traffic sources. Campaign media (cpc, paid_social, email) make a stimulus.
DIRECT, ORGANIC, CPC, PAID_SOCIAL, EMAIL, REFERRAL = range(6)
CHANNEL_SOURCE = {"PAID_SEARCH": CPC, "PAID_SOCIAL": PAID_SOCIAL, "EMAIL_MARKETING": EMAIL,
                  "ORGANIC_SEARCH": ORGANIC, "DIRECT_TRAFFIC": DIRECT, "REFERRALS": REFERRAL}
CAMPAIGNS = {CPC: ("brand_search", "generic_crm_software", "competitor_terms"),
             PAID_SOCIAL: ("linkedin_lookalike", "fb_retargeting", "linkedin_webinar"),
             EMAIL: ("spring_newsletter", "webinar_invite", "product_update")}
PAGES = ("/", "/pricing", "/product", "/product/integrations", "/customers", "/blog/speed-to-lead",
         "/blog/first-call-checklist", "/about", "/careers", "/docs/getting-started")
SITE = "https://www.example.com"
# Session kinds.
ANON, PRE, ZMOT, POST = range(4)
MAX_EVENTS = 10


def build_sessions(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> None:
    """Sessions never overlap for one visitor: each sits in its own slot, hours apart, so the
    30-minute inactivity rule finds exactly these sessions. Sessions starting outside the
    window are dropped whole."""
    campaigns = sql_list(c for s in (CPC, PAID_SOCIAL, EMAIL) for c in CAMPAIGNS[s])

    def campaign(src: str) -> str:
        return (f"CASE WHEN {src} IN ({CPC}, {PAID_SOCIAL}, {EMAIL}) "
                f"THEN {campaigns}[1 + ({src} - {CPC}) * 3 + ui('w.campaign', uid * 8 + {src}, 3)] END")

    channel_src = "(CASE channel " + " ".join(f"WHEN {lit(c)} THEN {s}" for c, s in CHANNEL_SOURCE.items()) + " END)"
    con.execute(f"""
        CREATE OR REPLACE TABLE sessions AS
        WITH web_leads AS (
            SELECT idx AS uid, contact_id, zmot_us, pref, email, {channel_src} AS src,
                   5 + ui('w.zmot_n', idx, 6) AS zmot_n,
                   CASE WHEN {channel_src} IN ({CPC}, {PAID_SOCIAL}, {EMAIL}) THEN 1 + ui('w.pre', idx, 4)
                        WHEN channel = 'REFERRALS' THEN ui('w.pre', idx, 2)
                        ELSE ui('w.pre', idx, 4) END AS n_pre,
                   ui('w.post', idx, 7) AS n_post
            FROM leads WHERE is_web
        ), zmot AS (
            -- form_submit at zmot_us is event n-2; earlier events sit 90 s apart before it
            SELECT uid, uid * 16 AS sid, {ZMOT} AS kind, zmot_us - (zmot_n - 3) * {90 * US} - {30 * US} AS start_us,
                   zmot_n AS n_events, src, src AS first_src, contact_id, zmot_us, pref,
                   sha256(lower(email)) AS email_sha256,
                   CASE WHEN pref = 'meeting' THEN 'demo-request' ELSE 'contact-form' END AS form_id
            FROM web_leads
        ), pre AS (
            -- slot j spans 36 h before the zmot session; the earliest one is the first touch
            SELECT l.uid, l.uid * 16 + j AS sid, {PRE},
                   z.start_us - (j * {36 * HOUR} + ui('w.pre_at', l.uid * 16 + j, {34 * HOUR})) * {US},
                   3 + ui('w.n', l.uid * 16 + j, {MAX_EVENTS - 2}),
                   CASE WHEN j = n_pre THEN CASE WHEN l.src = {REFERRAL} THEN {DIRECT} ELSE l.src END
                        WHEN l.src IN ({CPC}, {PAID_SOCIAL}, {EMAIL}) THEN CASE
                            WHEN u('w.pre_src', l.uid * 16 + j) < 0.5 THEN l.src
                            WHEN u('w.pre_src', l.uid * 16 + j) < 0.75 THEN {ORGANIC} ELSE {DIRECT} END
                        -- retargeting: an organic/direct lead still saw a campaign before inquiring
                        WHEN j = 1 AND u('w.retarget', l.uid) < 0.3 THEN {PAID_SOCIAL}
                        ELSE {pick("u('w.pre_src', l.uid * 16 + j)", [(ORGANIC, .5), (DIRECT, .5)])} END,
                   l.src, NULL, NULL::BIGINT, NULL, NULL, NULL
            FROM web_leads l JOIN zmot z USING (uid) JOIN range(1, 5) r(j) ON r.j <= l.n_pre
        ), post AS (
            -- identified visits after the inquiry, in 5-day slots; campaign e-mails here are no stimulus
            SELECT l.uid, l.uid * 16 + 4 + j AS sid, {POST},
                   l.zmot_us + ({2 * HOUR} + (j - 1) * {5 * DAY} + ui('w.post_at', l.uid * 16 + 4 + j, {5 * DAY - 3 * HOUR})) * {US},
                   3 + ui('w.n', l.uid * 16 + 4 + j, {MAX_EVENTS - 2}),
                   {pick("u('w.post_src', l.uid * 16 + 4 + j)", [(DIRECT, .4), (ORGANIC, .3), (EMAIL, .3)])},
                   l.src, l.contact_id, NULL::BIGINT, NULL, NULL, NULL
            FROM web_leads l JOIN range(1, 7) r(j) ON r.j <= l.n_post
        ), anon AS (
            SELECT {ctx.n_prospects} + a AS uid, 1 + ui('w.anon_n', a, 3) AS n,
                   {ctx.start_s} + ui('w.anon_at', a, {ctx.end_s - ctx.start_s}) AS base_s
            FROM range({ctx.n_anonymous}) t(a)
        ), anon_sessions AS (
            SELECT uid, uid * 16 + j AS sid, {ANON} AS kind,
                   (base_s + (j - 1) * {2 * DAY} + ui('w.anon_at', uid * 16 + j, {2 * DAY - 2 * HOUR})) * {US} AS start_us,
                   3 + ui('w.n', uid * 16 + j, {MAX_EVENTS - 2}) AS n_events,
                   {pick("u('w.anon_src', uid * 16 + j)", [(CPC, .25), (PAID_SOCIAL, .2), (EMAIL, .15), (ORGANIC, .25), (DIRECT, .15)])} AS src
            FROM anon JOIN range(1, 4) r(j) ON r.j <= anon.n
        ), all_sessions AS (
            SELECT * FROM zmot UNION ALL SELECT * FROM pre UNION ALL SELECT * FROM post
            -- an anonymous visitor's first touch is their first session's source
            UNION ALL SELECT *, first_value(src) OVER (PARTITION BY uid ORDER BY sid), NULL, NULL::BIGINT, NULL, NULL, NULL
            FROM anon_sessions
        )
        SELECT s.*,
               (1000000000 + ui('w.client', uid, 9000000000))::VARCHAR || '.' || ({ctx.start_s - 400 * DAY} + uid)::VARCHAR AS user_pseudo_id,
               {pick("u('w.device', uid)", [('desktop', .55), ('mobile', .40), ('tablet', .05)])} AS device,
               -- a visitor sees one campaign per medium
               {campaign('src')} AS campaign,
               {campaign('first_src')} AS first_campaign
        FROM all_sessions s
        WHERE start_us >= {ctx.start_s * US} AND start_us < {ctx.end_s * US}
        ORDER BY start_us, sid
    """)


def _source_fields(src: str, campaign: str) -> dict[str, str]:
    """(source, medium, campaign) of a traffic-source code as GA4 records it; NULL when direct."""
    source = (f"CASE {src} WHEN {ORGANIC} THEN 'google' WHEN {CPC} THEN 'google' "
              f"WHEN {PAID_SOCIAL} THEN CASE WHEN {campaign} LIKE 'fb%' THEN 'facebook' ELSE 'linkedin' END "
              f"WHEN {EMAIL} THEN 'newsletter' WHEN {REFERRAL} THEN 'customer_referral' END")
    medium = (f"CASE {src} WHEN {ORGANIC} THEN 'organic' WHEN {CPC} THEN 'cpc' WHEN {PAID_SOCIAL} THEN 'paid_social' "
              f"WHEN {EMAIL} THEN 'email' WHEN {REFERRAL} THEN 'referral' END")
    name = f"CASE WHEN {src} IN ({CPC}, {PAID_SOCIAL}, {EMAIL}) THEN {campaign} END"
    return {"source": source, "medium": medium, "campaign": name}


# JSON text is assembled as pieces, (True, literal text) or (False, SQL expression), joined
# by one concat(): a chain of `||` copies the growing line at every step.
Pieces = list[tuple[bool, str]]


def _jstr(expr: str) -> Pieces:
    # every web string comes from a fixed ASCII vocabulary, ids or hex: nothing to escape
    return [(False, f"coalesce('\"' || ({expr}) || '\"', 'null')")]


def _jnum(expr: str) -> Pieces:
    return [(False, f"coalesce(({expr})::VARCHAR, 'null')")]


def _jlit(text: str) -> Pieces:
    return [(True, text)]


def _jobj(*pairs: tuple[str, Pieces]) -> Pieces:
    out = _jlit("{")
    for i, (key, value) in enumerate(pairs):
        out += _jlit(("," if i else "") + f'"{key}":') + value
    return out + _jlit("}")


def _concat(pieces: Pieces) -> str:
    merged: Pieces = []
    for is_text, piece in pieces:
        if is_text and merged and merged[-1][0]:
            merged[-1] = (True, merged[-1][1] + piece)
        else:
            merged.append((is_text, piece))
    return "concat(" + ", ".join(lit(p) if is_text else p for is_text, p in merged) + ")"


def _param(key: str, value: str, kind: str = "string") -> Pieces:
    """A GA4 event_params entry."""
    s, i = (_jstr(value), _jlit("null")) if kind == "string" else (_jlit("null"), _jnum(value))
    return _jobj(("key", _jlit(f'"{key}"')),
                 ("value", _jobj(("string_value", s), ("int_value", i), ("double_value", _jlit("null")))))


def session_fragments() -> dict[str, str]:
    """JSON text every event of a session repeats, computed once per session."""
    here = _source_fields("src", "campaign")
    first = _source_fields("first_src", "first_campaign")
    utm = (f"CASE WHEN src IN ({CPC}, {PAID_SOCIAL}, {EMAIL}) THEN '?utm_source=' || ({here['source']}) "
           f"|| '&utm_medium=' || ({here['medium']}) || '&utm_campaign=' || campaign ELSE '' END")
    first_name = (f"coalesce(({first['campaign']}), CASE first_src WHEN {DIRECT} THEN '(direct)' "
                  f"WHEN {ORGANIC} THEN '(organic)' ELSE '(referral)' END)")
    # the record's keys after user_id, closing brace included
    tail = _jlit(",") + _jobj(
        ("user_pseudo_id", _jstr("user_pseudo_id")),
        ("device", _jobj(("category", _jstr("device")))),
        ("traffic_source", _jobj(("name", _jstr(first_name)),
                                 ("medium", _jstr(f"coalesce(({first['medium']}), '(none)')")),
                                 ("source", _jstr(f"coalesce(({first['source']}), '(direct)')")))),
        ("collected_traffic_source", _jobj(("manual_source", _jstr(here["source"])),
                                           ("manual_medium", _jstr(here["medium"])),
                                           ("manual_campaign_name", _jstr(here["campaign"])))),
    )[1:]  # drop the object's own opening brace
    form = (_jlit(",") + _param("form_id", "form_id") + _jlit(",") + _param("contact_method", "pref")
            + _jlit(",") + _param("email_sha256", "email_sha256"))
    return {
        "session_param": _concat(_param("ga_session_id", "start_us // 1000000", "int") + _jlit(",")),
        "landing_url": f"'{SITE}' || {sql_list(PAGES[:4])}[1 + ui('ev.landing', sid, 4)] || {utm}",
        "form_url": f"'{SITE}' || CASE form_id WHEN 'demo-request' THEN '/demo' ELSE '/contact' END",
        "form_params": f"CASE WHEN kind = {ZMOT} THEN {_concat(form)} END",
        "tail": _concat(tail),
    }


def event_json() -> str:
    """One GA4 export record as compact JSON text: the bytes DuckDB's json writer would emit,
    built as text because serializing nested structs is several times slower."""
    page = (f"CASE WHEN is_form THEN form_url WHEN k <= 1 THEN landing_url "
            f"ELSE '{SITE}' || {sql_list(PAGES)}[1 + ui('ev.page', event_key, {len(PAGES)})] END")
    return _concat(
        _jobj(("event_date", _jstr("event_date")), ("event_timestamp", _jnum("ts")), ("event_name", _jstr("event_name")))[:-1]
        + _jlit(',"event_params":[') + [(False, "session_param")] + _param("page_location", page)
        + [(False, "CASE WHEN is_form THEN form_params ELSE '' END")]
        + _jlit('],"user_id":') + _jstr(f"CASE WHEN kind = {POST} OR is_form THEN contact_id END")
        + [(False, "tail")]
    )


def build_batch(con: duckdb.DuckDBPyConnection, ctx: Ctx, day_lo: int, day_hi: int) -> None:
    """Events whose shard (file day) is in [day_lo, day_hi): late events are filed 1-2 days after
    their own day, duplicated events are written twice (`copies`)."""
    p = ctx.planted
    lo_us = (ctx.start_s + day_lo * DAY - 2 * DAY - HOUR) * US
    hi_us = (ctx.start_s + day_hi * DAY) * US
    days = sql_list(shard_name(ctx, d)[-15:-7] for d in range(ctx.days))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE web_batch AS
        WITH s AS (
            SELECT sid, kind, start_us, n_events, zmot_us, contact_id,
                   {', '.join(f'{e} AS {n}' for n, e in session_fragments().items())}
            FROM sessions WHERE start_us >= {lo_us} AND start_us < {hi_us}
        ), ev AS (
            SELECT s.*, r.k, s.sid * 16 + r.k AS event_key,
                   s.kind = {ZMOT} AND r.k >= s.n_events - 2 AS is_form,
                   CASE WHEN s.kind = {ZMOT} AND r.k = s.n_events - 2 THEN s.zmot_us
                        WHEN s.kind = {ZMOT} AND r.k = s.n_events - 1 THEN s.zmot_us + 100000 + ui('ev.lead', s.sid, 800000)
                        WHEN r.k <= 1 THEN s.start_us
                        ELSE s.start_us + (r.k - 1) * {90 * US} + ui('ev.at', s.sid * 16 + r.k, {60 * US}) END AS ts,
                   CASE WHEN s.kind = {ZMOT} AND r.k = s.n_events - 2 THEN 'form_submit'
                        WHEN s.kind = {ZMOT} AND r.k = s.n_events - 1 THEN 'generate_lead'
                        WHEN r.k = 0 THEN 'session_start'
                        WHEN r.k = 1 THEN 'page_view'
                        ELSE {pick("u('ev.name', s.sid * 16 + r.k)", [('page_view', .65), ('scroll', .2), ('user_engagement', .08), ('file_download', .07)])}
                   END AS event_name
            FROM s JOIN range({MAX_EVENTS}) r(k) ON r.k < s.n_events
        ), placed AS (
            SELECT *, ts // {DAY * US} - {ctx.start_s // DAY} AS event_day,
                   CASE WHEN u('ev.late', event_key) < {p.late_web_events!r} THEN 1 + (u('ev.late_by', event_key) < 0.5)::INT ELSE 0 END AS late_by
            FROM ev WHERE ts < {ctx.end_s * US}
        ), filed AS (
            SELECT *, CASE WHEN event_day + late_by < {ctx.days} THEN event_day + late_by ELSE event_day END AS shard,
                   {days}[event_day + 1] AS event_date
            FROM placed
        )
        SELECT shard, event_day, ts, sid, k,
               CASE WHEN shard = event_day AND u('ev.dup', event_key) < {p.duplicate_web_events!r} THEN 2 ELSE 1 END AS copies,
               {event_json()} AS line
        FROM filed WHERE shard >= {day_lo} AND shard < {day_hi}
        ORDER BY shard  -- each shard's rows together: the per-shard scans skip the rest
    """)


def shard_name(ctx: Ctx, day: int) -> str:
    from datetime import timedelta

    return f"web/events_{(ctx.start + timedelta(days=day)).strftime('%Y%m%d')}.ndjson"


def write_shard(con: duckdb.DuckDBPyConnection, out: Path, name: str, day: int, bad: list[tuple[int, str]]) -> None:
    """One shard in (ts, session, event) order, duplicates adjacent; `bad` = (after clean row p,
    raw line) insertions."""
    rows = f"web_batch JOIN range(2) c(copy) ON c.copy < copies WHERE shard = {day}"
    target = f"{lit(str(out / name))} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')"
    if not bad:
        con.execute(f"COPY (SELECT line FROM {rows} ORDER BY ts, sid, k, copy) TO {target}")
        return
    spliced = "".join(f" UNION ALL SELECT {pos}, {i + 1}, {lit(line)}" for i, (pos, line) in enumerate(bad))
    con.execute(f"""
        COPY (SELECT line FROM (
            SELECT row_number() OVER (ORDER BY ts, sid, k, copy) AS a, 0 AS b, line
            FROM {rows}{spliced})
            ORDER BY a, b)
        TO {target}
    """)
