"""The night's job written by hand in plain DuckDB: the yardstick the project's night is held to.

What a competent engineer would write in an afternoon without dbt, Dagster or checks: the landing
files loaded with DuckDB's own readers, web events deduplicated and cut into 30-minute sessions,
visitors stitched to CRM contacts (user id, then hashed e-mail), the moments of truth (stimulus,
zmot, fmot, purchase, smot, umot, rmot), one journey row per prospect and speed to lead by
response-time bucket. No quarantine, no load log, no tests, no publish: it is a floor, not a
substitute. The sample exports' layout is assumed (orchestration/ingestion/sources.yml).

    python benchmarks/reference_pipeline.py LANDING DATABASE
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

SESSION_GAP_MINUTES = 30
FMOT_MIN_CALL_MS = 5 * 60_000
CAMPAIGN_MEDIUMS = ("cpc", "ppc", "paid", "paidsearch", "paid_social", "paidsocial", "social", "email",
                    "display", "affiliate")
LEAD_FORM_EVENTS = ("form_submit", "generate_lead")

GA4_COLUMNS = {
    "event_timestamp": "BIGINT",
    "event_name": "VARCHAR",
    "event_params": "STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value BIGINT, "
                    "double_value DOUBLE))[]",
    "user_id": "VARCHAR",
    "user_pseudo_id": "VARCHAR",
    "device": "STRUCT(category VARCHAR)",
    "collected_traffic_source": "STRUCT(manual_source VARCHAR, manual_medium VARCHAR, "
                                "manual_campaign_name VARCHAR)",
}


def _csv(landing: Path, pattern: str) -> str:
    return (f"read_csv('{landing / pattern}', header = true, all_varchar = true, ignore_errors = true, "
            "union_by_name = true)")


def _local_ts(column: str, zone: str) -> str:
    """A local export time as UTC (the exports carry no offset)."""
    return f"timezone('UTC', timezone('{zone}', try_cast(\"{column}\" as timestamp)))"


def _param(name: str, kind: str = "string_value") -> str:
    return f"list_filter(event_params, p -> p.key = '{name}')[1].value.{kind}"


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def steps(landing: Path) -> list[tuple[str, str]]:
    """(step, SQL) in order; each statement creates one table."""
    ny = "America/New_York"
    return [
        ("load", f"""
            create table contacts as
            select "Record ID" as contact_id,
                   sha256(lower(trim("Email"))) as email_sha256,
                   "Original Source" as lead_source,
                   nullif(trim("Contact owner ID"), '') as owner_id,
                   nullif(trim("Referred by contact ID"), '') as referred_by_contact_id,
                   {_local_ts('Create Date', ny)} as created_at
            from {_csv(landing, 'crm/contacts*.csv')}
            where "Record ID" is not null;
            create table engagements as
            select "Engagement ID" as engagement_id, "Associated Contact ID" as contact_id,
                   "Owner ID" as owner_id, upper("Engagement type") as engagement_type,
                   upper("Direction") as direction, upper("Outcome") as outcome,
                   coalesce(try_cast("Template used" as boolean), false) as is_templated,
                   try_cast("Duration (ms)" as bigint) as duration_ms,
                   {_local_ts('Activity date', ny)} as occurred_at
            from {_csv(landing, 'crm/engagements*.csv')}
            where "Engagement ID" is not null
            qualify row_number() over (partition by "Engagement ID" order by filename desc) = 1;
            create table deals as
            select "Deal ID" as deal_id, "Associated Contact ID" as contact_id, "Deal owner ID" as owner_id,
                   lower("Deal Stage") as deal_stage, {_local_ts('Close Date', ny)} as closed_at
            from {_csv(landing, 'crm/deals*.csv')};
            create table owners as
            select "Owner ID" as owner_id, "Team" as team, coalesce(try_cast("Qualified" as boolean), false) as is_qualified
            from {_csv(landing, 'crm/owners*.csv')};
            create table survey_responses as
            select "#" as response_id, contact_id, try_cast("Submit Date (UTC)" as timestamp) as submitted_at
            from {_csv(landing, 'survey/responses*.csv')};
            create table reviews as
            select "Review ID" as review_id, "Reference ID" as reference_id,
                   {_local_ts('Published at', 'Europe/Berlin')} as published_at
            from {_csv(landing, 'reviews/reviews*.csv')};
            create table web_events as
            select distinct on (user_pseudo_id, event_timestamp, event_name, event_params)
                   user_pseudo_id, nullif(trim(user_id), '') as user_id, event_name,
                   lower({_param('email_sha256')}) as email_sha256,
                   lower({_param('contact_method')}) as requested_contact_method,
                   collected_traffic_source.manual_source as traffic_source,
                   lower(collected_traffic_source.manual_medium) as traffic_medium,
                   make_timestamp(event_timestamp) as event_at
            from read_json('{landing / 'web/events_*.ndjson'}', format = 'newline_delimited',
                           ignore_errors = true, columns = {json.dumps(GA4_COLUMNS)})
            where user_pseudo_id is not null and event_timestamp is not null
        """),
        ("sessions", f"""
            create table sessions as
            with gaps as (
                select *, case when lag(event_at) over w is null
                                 or event_at - lag(event_at) over w > interval {SESSION_GAP_MINUTES} minute
                               then 1 else 0 end as is_start
                from web_events window w as (partition by user_pseudo_id order by event_at)
            ), numbered as (
                select *, sum(is_start) over (partition by user_pseudo_id order by event_at
                                              rows unbounded preceding) as session_number
                from gaps
            )
            select user_pseudo_id, session_number,
                   arg_min(traffic_medium, event_at) as session_medium,
                   min(user_id) as user_id, min(email_sha256) as email_sha256,
                   min(event_at) as started_at,
                   min(event_at) filter (where user_id is not null or email_sha256 is not null) as identified_at
            from numbered group by all
        """),
        ("stitching", """
            create table visitors as
            with matches as (
                select s.user_pseudo_id, c.contact_id, 1 as strength, s.identified_at
                from sessions s join contacts c on s.user_id = c.contact_id
                union all
                select s.user_pseudo_id, c.contact_id, 2, s.identified_at
                from sessions s
                join (select email_sha256, arg_min(contact_id, created_at) as contact_id
                      from contacts where email_sha256 is not null group by all) c
                  on s.email_sha256 = c.email_sha256
            )
            select user_pseudo_id, arg_min(contact_id, (strength, identified_at, contact_id)) as contact_id
            from matches group by all
        """),
        ("moments", f"""
            create table leads as
            with inquiries as (
                select contact_id, created_at as inquired_at, 'crm' as channel, null as requested_contact_method
                from contacts
                union all
                select v.contact_id, e.event_at, 'web', e.requested_contact_method
                from web_events e join visitors v using (user_pseudo_id)
                where e.event_name in ({_in(LEAD_FORM_EVENTS)})
            ), zmot as (
                select contact_id, min(inquired_at) as zmot_at, arg_min(channel, inquired_at) as channel
                from inquiries where inquired_at is not null group by all
            ), classified as (
                select e.*, e.direction = 'OUTBOUND' and e.engagement_type in ('CALL', 'EMAIL', 'MEETING') as is_attempt,
                       ((e.engagement_type = 'CALL' and e.direction = 'OUTBOUND' and e.outcome = 'CONNECTED'
                         and coalesce(e.duration_ms, 0) >= {FMOT_MIN_CALL_MS})
                        or (e.engagement_type = 'MEETING' and e.outcome = 'COMPLETED'))
                       and coalesce(o.is_qualified, false) and not e.is_templated as is_meaningful
                from engagements e left join owners o using (owner_id)
            )
            select z.contact_id, z.zmot_at, z.channel,
                   min(c.occurred_at) filter (where c.is_attempt) as first_response_at,
                   min(c.occurred_at) filter (where c.is_meaningful) as fmot_at
            from zmot z left join classified c on c.contact_id = z.contact_id and c.occurred_at >= z.zmot_at
            group by all;
            create table moments as
            with purchases as (
                select contact_id, min(closed_at) as reached_at from deals
                where deal_stage = 'closedwon' and closed_at is not null group by all
            )
            select contact_id, 'zmot' as moment, zmot_at as reached_at from leads
            union all
            select contact_id, 'fmot', fmot_at from leads where fmot_at is not null
            union all
            select v.contact_id, 'stimulus', min(s.started_at)
            from sessions s join visitors v using (user_pseudo_id) join leads l using (contact_id)
            where s.session_medium in ({_in(CAMPAIGN_MEDIUMS)}) and s.started_at <= l.zmot_at
            group by all
            union all
            select p.contact_id, 'purchase', p.reached_at from purchases p join leads using (contact_id)
            union all
            select p.contact_id, 'smot', min(r.submitted_at)
            from survey_responses r join purchases p using (contact_id)
            where r.submitted_at >= p.reached_at group by all
            union all
            select r.reference_id, 'umot', min(r.published_at)
            from reviews r join leads l on l.contact_id = r.reference_id group by all
            union all
            select referrer.contact_id, 'rmot', min(l.zmot_at)
            from leads l join contacts c using (contact_id) join leads referrer on referrer.contact_id = c.referred_by_contact_id
            group by all
        """),
        ("journey", """
            create table journey as
            pivot moments on moment in ('stimulus', 'zmot', 'fmot', 'purchase', 'smot', 'umot', 'rmot')
            using min(reached_at) group by contact_id
        """),
        ("speed_to_lead", """
            create table speed_to_lead as
            with bucketed as (
                select *, case
                    when first_response_at is null then 'never'
                    when first_response_at - zmot_at < interval 5 minute then '<5m'
                    when first_response_at - zmot_at < interval 1 hour then '5-60m'
                    when first_response_at - zmot_at < interval 2 hour then '1-2h'
                    when first_response_at - zmot_at < interval 24 hour then '2-24h'
                    else '>24h' end as bucket
                from leads
            )
            select bucket, channel, count(*) as leads, count(fmot_at) as reached_fmot,
                   count(fmot_at) / count(*) as fmot_rate
            from bucketed group by all order by all
        """),
    ]


def run(landing: Path, database: Path, memory_limit: str = "3GB", threads: int = 2) -> dict[str, float]:
    """Build the reference tables into a new `database`; seconds per step."""
    database.unlink(missing_ok=True)
    seconds: dict[str, float] = {}
    with duckdb.connect(str(database), config={"memory_limit": memory_limit, "threads": threads}) as conn:
        for step, sql in steps(Path(landing)):
            started = time.perf_counter()
            conn.execute(sql)
            seconds[step] = round(time.perf_counter() - started, 3)
    seconds["total"] = round(sum(seconds.values()), 3)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path)
    parser.add_argument("database", type=Path)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.landing, args.database, args.memory_limit, args.threads)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
