"""Real vendor exports that are not shaped like the generator's load honestly: value maps onto
canonical codes, several named mappings of one table (with `where:`), "_file"/"_row_number" in
every format, column names checked against the table's headers, the fallback of a required column
a kind of export lacks, rows without ids (duplicates counted, never dropped), raw value-set checks
that follow the configuration, and configuration mistakes named. Real DuckDB, real files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from orchestration import quality
from orchestration.ingestion import ConfigError, ingest_table, load_config
from orchestration.ingestion.loader import ensure_schemas
from orchestration.ingestion.staging import value_mapped

DEALS_HEADER = "Id,Contact,Stage,SDR,Closer,Created,Closed"


def config(tmp_path: Path, tables: str, name: str = "my.yml") -> Path:
    path = tmp_path / name
    path.write_text("sources:\n  crm:\n    timezone: UTC\n    tables:\n" + tables)
    return path


def spec_of(path: Path, raw_table: str):
    return next(s for s in load_config(path) if s.raw_table == raw_table)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture()
def conn(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def quarantine(conn, raw_table: str):
    return conn.execute(
        "select row_number, column_name, reason from ingest.quarantine where raw_table = ? order by row_number",
        [raw_table]).fetchall()


DEALS = """\
      deals:
        files: "deals*.csv"
        format: csv
        columns:
          deal_id: Id
          contact_id: Contact
          deal_stage: Stage
          stage_meaning: {from: Stage, values: {"Won": won, "Lost": lost, "Proposal sent": proposal}%s}
          created_at: Created
          closed_at: Closed
"""
DEALS_ROWS = ("d1,c1,  won ,,,2026-01-01 10:00:00,\n"      # trimmed, any case
              "d2,c2,Proposal SENT,,,2026-01-02 10:00:00,\n"
              "d3,c3,Negotiation,,,2026-01-03 10:00:00,\n"  # not in the map
              "d4,c4,open,,,2026-01-04 10:00:00,\n"         # already a canonical code
              "d5,c5,,,,2026-01-05 10:00:00,\n")            # no stage: stays NULL, never the default


# -- 1. value maps -------------------------------------------------------------------------------

def test_value_map_and_default_give_canonical_codes(tmp_path, conn):
    spec = spec_of(config(tmp_path, DEALS % ", default: open"), "crm_deals")
    write(tmp_path / "landing/deals.csv", DEALS_HEADER + "\n" + DEALS_ROWS.replace("d5,c5,,", "d5,c5,x,"))
    [report] = ingest_table(conn, spec, tmp_path / "landing")
    assert (report.rows_loaded, report.rows_quarantined) == (5, 0), report.message
    assert conn.execute("select deal_id, deal_stage, stage_meaning from raw.crm_deals order by 1").fetchall() == [
        ("d1", "won", "won"), ("d2", "Proposal SENT", "proposal"), ("d3", "Negotiation", "open"),
        ("d4", "open", "open"), ("d5", "x", "open")]


def test_an_unmapped_value_is_quarantined_naming_the_codes_and_the_mapping_key(tmp_path, conn):
    path = config(tmp_path, DEALS % "")
    spec = spec_of(path, "crm_deals")
    write(tmp_path / "landing/deals.csv", DEALS_HEADER + "\n" + DEALS_ROWS.replace("d5,c5,,", "d5,c5,x,"))
    [report] = ingest_table(conn, spec, tmp_path / "landing")
    assert (report.rows_loaded, report.rows_quarantined) == (3, 2)
    assert quarantine(conn, "crm_deals") == [(3, "stage_meaning", (
        f"stage_meaning: 'Negotiation' is not a code of stage_meaning (allowed: open, proposal, won, lost); "
        f"map it under sources.crm.tables.deals.columns.stage_meaning.values in {path}")), (5, "stage_meaning", (
        f"stage_meaning: 'x' is not a code of stage_meaning (allowed: open, proposal, won, lost); "
        f"map it under sources.crm.tables.deals.columns.stage_meaning.values in {path}"))]


def test_a_missing_value_is_never_given_the_default(tmp_path):
    spec = spec_of(config(tmp_path, DEALS % ", default: open"), "crm_deals")
    meaning = next(c for c in spec.columns if c.name == "stage_meaning")
    assert duckdb.sql(f"select {value_mapped(meaning, 'cast(null as varchar)')}").fetchone() == (None,)
    assert duckdb.sql(f"select {value_mapped(meaning, chr(39) + 'Lost' + chr(39))}").fetchone() == ("lost",)


def test_an_export_code_of_an_enumerated_column_is_checked_without_any_map(tmp_path, conn):
    path = config(tmp_path, """\
      engagements:
        files: "calls*.csv"
        format: csv
        columns: {engagement_id: Id, contact_id: Contact, engagement_type: Type, occurred_at: At}
""")
    write(tmp_path / "landing/calls.csv", "Id,Contact,Type,At\ne1,c1,call,2026-01-01\ne2,c1,Phone,2026-01-01\n")
    [report] = ingest_table(conn, spec_of(path, "crm_engagements"), tmp_path / "landing")
    assert conn.execute("select engagement_type from raw.crm_engagements").fetchall() == [("CALL",)]
    [(_, column, reason)] = quarantine(conn, "crm_engagements")
    assert column == "engagement_type" and "'Phone' is not a code of engagement_type (allowed: CALL, EMAIL" in reason
    assert "sources.crm.tables.engagements.columns.engagement_type.values" in reason


@pytest.mark.parametrize(("mapping", "message"), [
    ('{"Won": wonn}', "stage_meaning.values.Won: 'wonn' is not a canonical code (did you mean 'won'?); "
                      "allowed: open, proposal, won, lost (or null)"),
    ('{"Won": won}, default: pending', "stage_meaning.default: 'pending' is not a canonical code"),
])
def test_unknown_codes_in_a_value_map_are_configuration_errors(tmp_path, mapping, message):
    path = config(tmp_path, (DEALS % "").replace('{"Won": won, "Lost": lost, "Proposal sent": proposal}', mapping))
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


def test_shipped_presets_map_stage_meaning():
    hubspot = spec_of(Path(__file__).parents[2] / "orchestration/ingestion/presets/hubspot.yml", "crm_deals")
    meaning = next(c for c in hubspot.columns if c.name == "stage_meaning")
    assert dict(meaning.values) == {"closedwon": "won", "closedlost": "lost", "presentationscheduled": "proposal"}
    assert (meaning.has_default, meaning.default) == (True, "open")
    salesforce = spec_of(Path(__file__).parents[2] / "orchestration/ingestion/presets/salesforce.yml", "crm_deals")
    meaning = next(c for c in salesforce.columns if c.name == "stage_meaning")
    assert dict(meaning.values)["closed won"] == "won" and dict(meaning.values)["proposal/price quote"] == "proposal"


# -- 2. several mappings of one table, where: ------------------------------------------------------

OWNERS_FROM_DEALS = """\
      owners:
        - name: sdr
          files: "deals*.csv"
          format: csv
          columns: {owner_id: SDR, role: {expr: "'SDR'"}}
        - name: closer
          files: "deals*.csv"
          format: csv
          columns: {owner_id: Closer, role: {expr: "'AE'"}}
          where: {expr: "\\"Closer\\" is not null"}
"""


def test_two_mappings_of_one_file_feed_one_table_without_colliding(tmp_path, conn):
    spec = spec_of(config(tmp_path, OWNERS_FROM_DEALS), "crm_owners")
    assert [m.mapping_name for m in spec.mappings] == ["sdr", "closer"]
    landing = tmp_path / "landing"
    deals = write(landing / "deals.csv", DEALS_HEADER + "\nd1,c1,won,ann,bob,2026-01-01,\nd2,c2,open,ann,,2026-01-02,\n")
    reports = ingest_table(conn, spec, landing)
    assert [(r.mapping, r.status, r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_skipped)
            for r in reports] == [("sdr", "loaded", 2, 2, 0, 0), ("closer", "loaded", 2, 1, 0, 1)]
    assert "1 row(s) skipped by the `where:` of sources.crm.tables.owners[name=closer]" in reports[1].message
    rows = "select owner_id, role, _mapping from raw.crm_owners order by _mapping, _row_number"
    assert conn.execute(rows).fetchall() == [("bob", "AE", "closer"), ("ann", "SDR", "sdr"), ("ann", "SDR", "sdr")]
    # the same file under two mappings: neither is a "duplicate" of the other, both unchanged next time
    assert [r.status for r in ingest_table(conn, spec, landing)] == ["unchanged", "unchanged"]
    # a new version replaces each mapping's own rows only
    deals.write_text(DEALS_HEADER + "\nd1,c1,won,cat,,2026-01-01,\n")
    assert [r.status for r in ingest_table(conn, spec, landing)] == ["replaced", "replaced"]
    assert conn.execute(rows).fetchall() == [("cat", "SDR", "sdr")]
    assert conn.execute("select mapping, rows_read, rows_loaded, rows_quarantined, rows_skipped from ingest.load_log "
                        "where status = 'replaced' order by mapping").fetchall() == [
        ("closer", 1, 0, 0, 1), ("sdr", 1, 1, 0, 0)]


def test_mappings_in_a_list_need_unique_names(tmp_path):
    with pytest.raises(ConfigError, match=re.escape("[1].name: 'sdr' is used twice")):
        load_config(config(tmp_path, OWNERS_FROM_DEALS.replace("name: closer", "name: sdr")))
    with pytest.raises(ConfigError, match=re.escape("needs a `name:`")):
        load_config(config(tmp_path, OWNERS_FROM_DEALS.replace("- name: closer", "- files: x")))


def test_a_where_must_be_a_condition(tmp_path):
    with pytest.raises(ConfigError, match=re.escape("owners[name=closer].where.expr: a condition must be true or false")):
        load_config(config(tmp_path, OWNERS_FROM_DEALS.replace('is not null', '|| 1')))


# -- 3. "_file" and "_row_number" in every format ----------------------------------------------------

EVENTS = """\
sources:
  web:
    timezone: UTC
    tables:
      events:
        files: "web/*.%s"
        format: %s
        columns:
          event_timestamp_micros: ts
          event_name: {expr: "\\"_file\\" || '#' || \\"_row_number\\""}
          user_pseudo_id: {expr: "coalesce(\\"user\\", 'row ' || \\"_row_number\\")"}
"""


@pytest.mark.parametrize("file_format", ["csv", "ndjson", "parquet"])
def test_file_and_row_number_are_usable_in_every_format(tmp_path, conn, file_format):
    path = tmp_path / "s.yml"
    path.write_text(EVENTS % (file_format, file_format))
    target = tmp_path / "landing/web" / f"events_1.{file_format}"
    target.parent.mkdir(parents=True)
    if file_format == "csv":
        target.write_text("ts,user\n1,u1\n2,\n")
    elif file_format == "ndjson":
        target.write_text(json.dumps({"ts": 1, "user": "u1"}) + "\n" + json.dumps({"ts": 2, "user": None}) + "\n")
    else:
        conn.execute(f"copy (select * from (values (1, 'u1'), (2, null)) as t(ts, \"user\")) to '{target}' "
                     f"(format parquet)")
    [report] = ingest_table(conn, spec_of(path, "web_events"), tmp_path / "landing")
    assert report.rows_loaded == 2, report.message
    assert conn.execute("select event_name, user_pseudo_id from raw.web_events order by _row_number").fetchall() == [
        (f"events_1.{file_format}#1", "u1"), (f"events_1.{file_format}#2", "row 2")]


# -- 4. every name a mapping reads is in some file of the table ---------------------------------------

CALLS_AND_MEETINGS = """\
      engagements:
        files: "activities/*.csv"
        format: csv
        columns:
          engagement_id: Id
          contact_id: Contact
          engagement_type: {expr: "case when \\"_file\\" ilike '%%call%%' then 'CALL' else 'MEETING' end"}
          outcome: {expr: "upper(coalesce(\\"Call outcome\\", \\"Meeting outcome\\"))"}
          subject: %s
          occurred_at: At
"""


def test_a_name_in_one_of_the_tables_files_is_fine(tmp_path, conn):
    spec = spec_of(config(tmp_path, CALLS_AND_MEETINGS % "Subject"), "crm_engagements")
    write(tmp_path / "landing/activities/calls.csv", "Id,Contact,Call outcome,Subject,At\ne1,c1,connected,Hi,2026-01-01\n")
    write(tmp_path / "landing/activities/meetings.csv", "Id,Contact,Meeting outcome,Subject,At\ne2,c1,held,Yo,2026-01-01\n")
    reports = ingest_table(conn, spec, tmp_path / "landing")
    assert [r.status for r in reports] == ["loaded", "loaded"]
    assert conn.execute("select engagement_type, outcome from raw.crm_engagements order by 1").fetchall() == [
        ("CALL", "CONNECTED"), ("MEETING", "HELD")]


def test_a_name_in_none_of_the_tables_files_is_an_error_naming_the_key_and_closest_header(tmp_path, conn):
    path = config(tmp_path, CALLS_AND_MEETINGS % "Subjcet")
    spec = spec_of(path, "crm_engagements")
    write(tmp_path / "landing/activities/calls.csv", "Id,Contact,Call outcome,Subject,At\ne1,c1,connected,Hi,2026-01-01\n")
    reports = ingest_table(conn, spec, tmp_path / "landing")
    assert [r.status for r in reports] == ["rejected"]
    assert ("sources.crm.tables.engagements.columns.subject reads 'Subjcet' (closest header: 'Subject')"
            in reports[0].message)
    assert "sources.crm.tables.engagements.columns.outcome reads 'Meeting outcome'" in reports[0].message
    assert str(path) in reports[0].message
    assert conn.execute("select count(*) from raw.crm_engagements").fetchone() == (0,)


# -- 5. fallback of a required column ---------------------------------------------------------------

WON_DEALS = """\
      deals:
        files: "won*.csv"
        format: csv
        columns: {deal_id: Id, contact_id: Contact, deal_stage: {expr: "'closedwon'"}, closed_at: %s}
"""


def test_a_required_column_with_a_mapped_fallback_may_stay_unmapped(tmp_path, conn):
    spec = spec_of(config(tmp_path, WON_DEALS % "Won on"), "crm_deals")
    created = next(c for c in spec.columns if c.name == "created_at")
    assert (created.mapped, created.required, created.fallback) == (False, True, "closed_at")
    write(tmp_path / "landing/won.csv", "Id,Contact,Won on\nd1,c1,2026-02-01 09:00:00\nd2,c2,\n")
    [report] = ingest_table(conn, spec, tmp_path / "landing")
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert "created_at is not mapped: NULL in raw, and staging uses closed_at" in report.message
    assert conn.execute("select created_at, closed_at from raw.crm_deals").fetchall()[0][0] is None  # never invented
    assert quarantine(conn, "crm_deals")[0][2] == (
        "created_at: required value is missing, and so is its fallback closed_at")


def test_without_the_fallback_mapped_the_required_column_must_be_mapped(tmp_path):
    with pytest.raises(ConfigError, match=re.escape("columns.created_at: required canonical column has no mapping; "
                                                    "map it with")) as error:
        load_config(config(tmp_path, WON_DEALS.replace(", closed_at: %s", "")))
    assert "(or map its fallback closed_at)" in str(error.value)


# -- 6. rows without ids, duplicate ids counted -------------------------------------------------------

def test_rows_without_ids_load_and_repeated_ids_are_counted(tmp_path, conn):
    path = tmp_path / "s.yml"
    path.write_text("""\
sources:
  survey:
    tables:
      responses:
        files: "survey/*.csv"
        format: csv
        columns: {response_id: Token, survey_type: Kind, nps_score: Score, submitted_at: At}
""")
    write(tmp_path / "landing/survey/r.csv", "Token,Kind,Score,At\n,NPS,9,2026-01-01\n,nps,9,2026-01-01\n"
                                             "t1,nps,7,2026-01-02\nt1,csat,4,2026-01-02\nt1,nps,7,2026-01-02\n")
    [report] = ingest_table(conn, spec_of(path, "survey_responses"), tmp_path / "landing")
    assert (report.rows_loaded, report.rows_quarantined, report.rows_duplicate_id) == (5, 0, 2)
    assert "2 loaded row(s) repeat the response_id of an earlier row of the file" in report.message
    assert conn.execute("select rows_duplicate_id from ingest.load_log").fetchone() == (2,)
    assert conn.execute("select count(*) from raw.survey_responses where response_id is null").fetchone() == (2,)


def test_an_old_load_log_gains_the_new_columns(tmp_path, conn):
    conn.execute("create schema ingest")
    conn.execute("create table ingest.load_log (load_id varchar, raw_table varchar, source_file varchar, "
                 "file_checksum varchar, status varchar, rows_read bigint, rows_loaded bigint, "
                 "rows_quarantined bigint, message varchar, loaded_at timestamp)")
    conn.execute("insert into ingest.load_log values ('x', 'crm_owners', 'o.csv', 'c', 'loaded', 1, 1, 0, '', now())")
    ensure_schemas(conn)
    columns = [row[0] for row in conn.execute("describe ingest.load_log").fetchall()]
    assert columns[-5:] == ["rows_skipped", "rows_duplicate_id", "mapping", "mapping_fingerprint", "file_identity"]
    assert conn.execute("select count(*) from ingest.load_log").fetchone() == (1,)


# -- 7. raw value-set checks follow the configuration ------------------------------------------------

def test_raw_value_sets_come_from_the_configuration_not_from_one_vendor(tmp_path):
    deals = spec_of(config(tmp_path, DEALS % ", default: open"), "crm_deals")
    assert quality.configured_value_sets(deals) == {"stage_meaning": (["open", "proposal", "won", "lost"], "critical")}
    shipped = {s.raw_table: s for s in load_config()}
    assert set(quality.configured_value_sets(shipped["crm_engagements"])) == {"engagement_type", "direction"}
    assert quality.configured_value_sets(shipped["crm_contacts"]) == {}  # lead_source etc. are free text
    for suite in (Path(quality.SUITES_DIR)).glob("raw_*.json"):
        assert quality.IN_SET not in suite.read_text(), suite.name  # no hard-coded vendor lists


def test_a_closed_value_map_of_a_free_text_column_becomes_a_warning_set(tmp_path):
    path = config(tmp_path, """\
      contacts:
        files: c.csv
        format: csv
        columns:
          contact_id: Id
          created_at: At
          lead_source: {from: Source, values: {"Google Ads": paid, "Newsletter": email}, default: other}
""")
    contacts = spec_of(path, "crm_contacts")
    assert quality.configured_value_sets(contacts) == {"lead_source": (["email", "other", "paid"], "warning")}


# -- 8. configuration paths that do not exist ---------------------------------------------------------

def test_a_missing_configuration_says_where_it_looked_and_suggests_close_names(tmp_path):
    (tmp_path / "my_sources.yml").write_text("use: [hubspot]\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "my_source.yml")
    assert f"looked in {tmp_path}" in str(error.value) and "did you mean 'my_sources.yml'?" in str(error.value)
