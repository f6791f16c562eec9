"""Landing files: the CSV exports, written as raw text lines so that planted dirt (duplicates,
malformed rows) lands at known 1-based data row numbers."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .context import Ctx
from .crm import FIRST_NAMES, LAST_NAMES
from .sql import csv_line, lit, one_of

NY, BERLIN = "America/New_York", "Europe/Berlin"
BAD_TIMESTAMP = "2026-02-30 25:61:00"


@dataclass
class Bad:
    """A malformed row: `fields` in header order (written with CSV quoting) or a `raw` line."""
    column: str | None
    problem: str
    fields: list[str] | None = None
    raw: str | None = None

    def line(self) -> str:
        return self.raw if self.raw is not None else ",".join(quote(f) for f in self.fields)


@dataclass
class CsvFile:
    name: str
    header: list[str]
    body: str  # SELECT line, copies, <order columns>
    order: str
    bad: list[Bad] = field(default_factory=list)


def quote(value: str) -> str:
    """Python twin of the csvq macro."""
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def fraction(ctx: Ctx, *key) -> float:
    """A reproducible draw in [0, 1) for choices made in Python."""
    digest = hashlib.sha256(repr((ctx.seed, *key)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def write_lines(con: duckdb.DuckDBPyConnection, ctx: Ctx, out: Path, f: CsvFile) -> dict:
    """Write header + body in order, duplicates adjacent, malformed rows spliced in at
    reproducible positions. Returns the file's row counts and dirt."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE csv_body AS
        SELECT line, c.copy, row_number() OVER (ORDER BY {f.order}, c.copy) AS rn
        FROM ({f.body}) b JOIN range(2) c(copy) ON c.copy < b.copies
    """)
    n, dups = con.execute("SELECT count(*), count(*) FILTER (WHERE copy > 0) FROM csv_body").fetchone()
    placed = sorted((int(fraction(ctx, f.name, i) * (n + 1)), i, b) for i, b in enumerate(f.bad))
    spliced = "".join(f" UNION ALL SELECT {pos}, {i + 1}, {lit(b.line())}" for pos, i, b in placed)
    con.execute(f"""
        COPY (SELECT line FROM (
            SELECT 0 AS a, 0 AS b, {lit(','.join(quote(h) for h in f.header))} AS line
            UNION ALL SELECT rn, 0, line FROM csv_body{spliced}) ORDER BY a, b)
        TO {lit(str(out / f.name))} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')
    """)
    malformed = [{"row": pos + k + 1, "column": b.column, "problem": b.problem}
                 for k, (pos, _, b) in enumerate(placed)]
    return {"rows_written": n + len(placed), "clean_rows": n - dups, "duplicates": dups, "malformed": malformed}


def _bad_variants(header: list[str], template: dict[str, str], variants: list[tuple]) -> list[Bad]:
    """Malformed rows from a valid-looking template (with ids that exist nowhere else)."""
    rows = []
    for i, (column, problem, value) in enumerate(variants):
        row = dict(template)
        row[header[0]] = row[header[0]][:-3] + f"{i + 1:03d}"
        if problem == "wrong column count":
            # an unquoted comma inside a value splits it in two
            row[column] = value
            rows.append(Bad(None, f"wrong column count ({len(header) + 1} fields, expected {len(header)})",
                            raw=",".join(row[h] if h == column else quote(row[h]) for h in header)))
        else:
            row[column] = value
            rows.append(Bad(column, problem, fields=[row[h] for h in header]))
    return rows


COMMENTS = {
    "promoter": ("They called back within minutes, great demo.", 'Honestly the "fastest" sales team we talked to.',
                 "Top Service – schnell und kompetent!"),
    "passive": ("Good product, onboarding could be faster.", "Fine so far; the first call took a while."),
    "detractor": ("Nobody called me back for days.", "Only generic e-mails, no real conversation, sadly."),
}
REVIEWS = {
    5: (("Excellent team", "Called me back right away, walked me through everything. Recommended!"),
        ("Five stars", 'Great onboarding, "it just works".')),
    4: (("Very good", "Solid product, quick and friendly answers, a few rough edges."),),
    3: (("OK", "Does the job; response times vary."),),
    2: (("Slow follow-up", "Waited two days for a call, then got a template e-mail."),),
    1: (("Disappointed", "Nobody picked up, ever. Avoid, unless you like waiting."),),
}


def _pick_text(texts: dict, key_expr: str, idx: str, draw: str, i: int) -> str:
    """CASE over a dict of text tuples, element i of each choice."""
    arms = " ".join(f"WHEN {lit(k)} THEN {one_of(draw, idx, [c[i] if isinstance(c, tuple) else c for c in v])}"
                    for k, v in texts.items())
    return f"(CASE {key_expr} {arms} END)"


def csv_files(ctx: Ctx) -> list[CsvFile]:
    p = ctx.planted
    ny = lambda s: f"ts_local({s}, '{NY}')"  # noqa: E731
    owner0 = "71000000"
    files = []

    header = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Original Source",
              "Preferred contact method", "Lifecycle Stage", "Contact owner ID", "Referred by contact ID", "Create Date"]
    template = dict(zip(header, ["9900000001", "Test", "Malformed", "test.malformed@example.com", "+1 201-555-0100",
                                 "DIRECT_TRAFFIC", "email", "lead", owner0, "", "2026-03-02 10:15:00"]))
    files.append(CsvFile(
        "crm/contacts.csv", header,
        body=f"""
            SELECT {csv_line('s.contact_id', 's.first_name', 's.last_name', 's.email', 's.phone', 's.channel', 's.pref',
                             "CASE WHEN s.won_s IS NOT NULL THEN 'customer' WHEN s.deal_s1 IS NOT NULL THEN 'opportunity' "
                             "WHEN s.fmot_s IS NOT NULL THEN 'salesqualifiedlead' ELSE 'lead' END",
                             's.owner_id', 'r.contact_id', ny('s.create_s'))} AS line,
                   s.create_s, s.contact_id,
                   1 + (row_number() OVER (ORDER BY u('c.dup', s.idx), s.idx)
                        <= {max(2, round(ctx.n_prospects * p.duplicate_contacts))})::INT AS copies
            FROM story s LEFT JOIN story r ON r.idx = s.referrer_idx""",
        order="create_s, contact_id",
        bad=_bad_variants(header, template, [
            ("Last Name", "wrong column count", "Malformed, Jr."),
            ("Create Date", "unparseable timestamp", BAD_TIMESTAMP),
            ("Record ID", "missing required field", ""),
            ("Create Date", "unparseable timestamp", "2026-13-45 10:00:00"),
        ]),
    ))

    header = ["Engagement ID", "Associated Contact ID", "Owner ID", "Engagement type", "Direction", "Outcome",
              "Template used", "Duration (ms)", "Subject", "Activity date"]
    template = dict(zip(header, ["29999999001", "9900000002", owner0, "CALL", "OUTBOUND", "CONNECTED", "",
                                 "420000", "Discovery call", "2026-03-03 11:00:00"]))
    bad = _bad_variants(header, template, [
        ("Activity date", "unparseable timestamp", BAD_TIMESTAMP),
        ("Engagement ID", "missing required field", ""),
        ("Duration (ms)", "not an integer", "seven minutes"),
        ("Associated Contact ID", "missing required field", ""),
    ])
    bad.append(Bad(None, f"wrong column count ({len(header) - 2} fields, expected {len(header)})",
                   raw=",".join(list(template.values())[:-2]).replace("29999999001", "29999999009")))
    files.append(CsvFile(
        "crm/engagements.csv", header,
        body=f"""
            SELECT {csv_line('e.engagement_id', 's.contact_id', 'e.owner_id', 'e.etype', 'e.direction', 'e.outcome',
                             'e.templated', 'e.duration_ms', 'e.subject', ny('e.at_s'))} AS line,
                   e.at_s, e.engagement_id, 1 + e.duplicated::INT AS copies
            FROM engagements e JOIN story s USING (idx)""",
        order="at_s, engagement_id", bad=bad,
    ))

    header = ["Deal ID", "Associated Contact ID", "Deal owner ID", "Pipeline", "Deal Stage", "Amount",
              "Create Date", "Close Date"]
    template = dict(zip(header, ["19999999001", "9900000003", owner0, "default", "qualifiedtobuy", "12500.00",
                                 "2026-03-04 09:00:00", ""]))
    stage = ("CASE WHEN won_s IS NOT NULL THEN 'closedwon' WHEN lost_s IS NOT NULL THEN 'closedlost' "
             "WHEN deal_s5 IS NOT NULL THEN 'contractsent' WHEN deal_s4 IS NOT NULL THEN 'decisionmakerboughtin' "
             "WHEN deal_s3 IS NOT NULL THEN 'presentationscheduled' WHEN deal_s2 IS NOT NULL THEN 'qualifiedtobuy' "
             "ELSE 'appointmentscheduled' END")
    files.append(CsvFile(
        "crm/deals.csv", header,
        body=f"""
            SELECT {csv_line('deal_id', 'contact_id', 'deal_owner', "'default'", stage,
                             "(amount_cents // 100) || '.' || lpad((amount_cents % 100)::VARCHAR, 2, '0')",
                             ny('deal_s1'), ny('coalesce(won_s, lost_s)'))} AS line,
                   deal_s1, deal_id, 1 AS copies
            FROM (SELECT *, (18000000000 + idx)::VARCHAR AS deal_id FROM story WHERE deal_s1 IS NOT NULL)""",
        order="deal_s1, deal_id",
        bad=_bad_variants(header, template, [
            ("Amount", "not a number", "12.5k"),
            ("Create Date", "unparseable timestamp", BAD_TIMESTAMP),
            ("Pipeline", "wrong column count", "default, EMEA"),
        ]),
    ))

    header = ["Deal ID", "Stage", "Entered at"]
    template = dict(zip(header, ["19999999002", "qualifiedtobuy", "2026-03-05 14:00:00"]))
    files.append(CsvFile(
        "crm/deal_stage_history.csv", header,
        body=f"""
            SELECT {csv_line('deal_id', 'stage', ny('at_s'))} AS line, deal_id, at_s, 1 AS copies
            FROM (SELECT (18000000000 + idx)::VARCHAR AS deal_id,
                         unnest(['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin',
                                 'contractsent', 'closedwon', 'closedlost']) AS stage,
                         unnest([deal_s1, deal_s2, deal_s3, deal_s4, deal_s5, won_s, lost_s]) AS at_s
                  FROM story WHERE deal_s1 IS NOT NULL)
            WHERE at_s IS NOT NULL""",
        order="deal_id, at_s",
        bad=_bad_variants(header, template, [
            ("Entered at", "unparseable timestamp", BAD_TIMESTAMP),
            ("Deal ID", "missing required field", ""),
            ("Stage", "missing required field", ""),
        ]),
    ))

    header = ["Owner ID", "First Name", "Last Name", "Email", "Team", "Role", "Qualified"]
    template = dict(zip(header, ["79999999", "Temp", "Account", "temp@ourcompany.example", "Inbound East", "SDR", "true"]))
    files.append(CsvFile(
        "crm/owners.csv", header,
        body=f"""SELECT {csv_line('owner_id', 'first_name', 'last_name', 'email', 'team', 'role', 'qualified')} AS line,
                        ord, 1 AS copies FROM owners""",
        order="ord",
        bad=_bad_variants(header, template, [
            ("Qualified", "not a boolean", "maybe"),
            ("Team", "wrong column count", "Inbound East, Night Shift"),
        ]),
    ))

    header = ["Owner ID", "Date", "Activity", "Hours"]
    template = dict(zip(header, ["79999998", "2026-03-06", "outreach", "2.50"]))
    files.append(CsvFile(
        "crm/time_logs.csv", header,
        body=f"""SELECT {csv_line('owner_id', "strftime(day, '%Y-%m-%d')", 'activity', "printf('%.2f', quarters / 4)")} AS line,
                        day, ord, activity, 1 AS copies FROM time_logs""",
        order="day, ord, activity",
        bad=_bad_variants(header, template, [
            ("Hours", "not a number", "n/a"),
            ("Date", "unparseable date", "2026-02-30"),
            ("Owner ID", "missing required field", ""),
        ]),
    ))

    nps_q = "How likely are you to recommend us to a friend or colleague?"
    csat_q = "How satisfied are you with your experience so far?"
    header = ["#", "contact_id", "survey", nps_q, csat_q, "Anything else you would like to tell us?",
              "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]
    template = dict(zip(header, ["ffffffffffffffffffffffffffff0001", "9900000004", "nps", "9", "", "",
                                 "2026-03-07 08:00:00", "2026-03-07 08:02:00", "ffff000001"]))
    response = "idx * 2 + (survey = 'csat')::INT"
    comment = f"CASE WHEN u('v.has_comment', {response}) < 0.3 THEN {_pick_text(COMMENTS, 'sentiment', 'idx', 'v.comment', 0)} END"
    started = f"ts_utc(at_s - 30 - ui('v.duration', {response}, 570))"
    files.append(CsvFile(
        "survey/responses.csv", header,
        body=f"""
            SELECT {csv_line('token', 'contact_id', 'survey', 'nps', 'csat', comment, started,
                             'ts_utc(at_s)', 'substr(md5(token), 1, 10)')} AS line,
                   at_s, token, 1 AS copies
            FROM (
                SELECT *, md5(survey || '-' || idx || '-{ctx.seed}') AS token FROM (
                    SELECT idx, contact_id, sentiment, 'nps' AS survey, nps_score AS nps, NULL AS csat, nps_s AS at_s
                    FROM story WHERE nps_s IS NOT NULL
                    UNION ALL
                    SELECT idx, contact_id, sentiment, 'csat', NULL, csat_score, csat_s
                    FROM story WHERE csat_s IS NOT NULL))""",
        order="at_s, token",
        bad=_bad_variants(header, template, [
            (nps_q, "not an integer", "ten"),
            ("Submit Date (UTC)", "unparseable timestamp", BAD_TIMESTAMP),
            ("survey", "missing required field", ""),
        ]),
    ))

    header = ["Review ID", "Reference ID", "Reviewer Name", "Reviewer Email", "Stars", "Title", "Content", "Published at",
              "Platform"]
    template = dict(zip(header, ["rv-ffffffff0001", "9900000005", "Test M.", "test.m@example.com", "4", "Good",
                                 "Quick answers", "2026-03-08 18:00:00", "Google"]))
    files.append(CsvFile(
        "reviews/reviews.csv", header,
        body=f"""
            SELECT {csv_line('review_id', 'contact_id', "first_name || ' ' || left(last_name, 1) || '.'", 'email', 'stars',
                             _pick_text(REVIEWS, 'stars', 'idx', 'r.text', 0), _pick_text(REVIEWS, 'stars', 'idx', 'r.text', 1),
                             f"ts_local(review_s, '{BERLIN}')", 'platform')} AS line,
                   review_s, review_id, 1 AS copies
            FROM (SELECT *, 'rv-' || substr(md5('review-' || idx || '-{ctx.seed}'), 1, 12) AS review_id FROM (
                      SELECT idx, contact_id, first_name, last_name, email, stars, review_s, platform
                      FROM story WHERE review_s IS NOT NULL
                      UNION ALL
                      -- authors the CRM does not know: no reference id, mostly no e-mail
                      SELECT idx, NULL, {one_of('p.first', 'idx', FIRST_NAMES)}, {one_of('p.last', 'idx', LAST_NAMES)},
                             CASE WHEN u('p.email', idx) < 0.4 THEN 'reviewer.' || idx || '@reviewers.example' END,
                             stars, review_s, platform
                      FROM public_reviews))""",
        order="review_s, review_id",
        bad=_bad_variants(header, template, [
            ("Stars", "not an integer", "five"),
            ("Published at", "unparseable timestamp", BAD_TIMESTAMP),
            ("Content", "wrong column count", "Quick answers, friendly people"),
        ]),
    ))
    return files


def ndjson_bad_lines(ctx: Ctx) -> dict[int, tuple[str | None, str, str]]:
    """Shard day -> (field at fault, problem, raw line) for a few shards."""
    kinds = [(None, "invalid JSON"), ("event_name", "missing required field"),
             ("user_pseudo_id", "missing required field"), ("event_timestamp", "not an integer")]
    days = sorted({int(fraction(ctx, "web-bad", i) * ctx.days) for i in range(len(kinds))})
    out = {}
    for i, (day, (column, problem)) in enumerate(zip(days, kinds)):
        ts = (ctx.start_s + day * 86400 + 43200) * 1_000_000
        event = {
            "event_date": _yyyymmdd(ctx, day), "event_timestamp": ts, "event_name": "page_view",
            "event_params": [{"key": "ga_session_id", "value": {"string_value": None, "int_value": ts // 1_000_000,
                                                               "double_value": None}}],
            "user_id": None, "user_pseudo_id": f"0000000000.000000000{i}", "device": {"category": "desktop"},
        }
        if column == "event_name":
            del event["event_name"]
        elif column == "user_pseudo_id":
            event["user_pseudo_id"] = None
        elif column == "event_timestamp":
            event["event_timestamp"] = "not-a-number"
        line = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        out[day] = (column, problem, line[: len(line) // 2] if column is None else line)
    return out


def _yyyymmdd(ctx: Ctx, day: int) -> str:
    from datetime import timedelta

    return (ctx.start + timedelta(days=day)).strftime("%Y%m%d")
