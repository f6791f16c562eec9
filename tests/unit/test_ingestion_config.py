"""Source configurations are validated against the canonical schema, with messages that say where
the mistake is and what would be right; presets merge with a user's own file key by key."""

from __future__ import annotations

import re

import pytest

from orchestration.ingestion import ConfigError, load_config
from orchestration.ingestion.config import CONFIG_ENV, DEFAULT_CONFIG, NOT_CONFIGURED, canonical_schema

ALL_TABLES = {
    "crm_contacts", "crm_engagements", "crm_deals", "crm_deal_stages", "crm_owners", "crm_time_logs",
    "web_events", "survey_responses", "reviews_reviews",
}
OWNERS = "sources: {crm: {tables: {owners: {files: x, format: csv, columns: %s}}}}"
OWNER_ID = "{owner_id: 'Owner ID'%s}"


def test_shipped_configuration_declares_every_raw_table():
    specs = load_config()
    assert {spec.raw_table for spec in specs} == ALL_TABLES
    assert all(spec.configured for spec in specs)


def test_the_canonical_schema_decides_names_types_and_required_columns():
    contacts = next(s for s in load_config() if s.raw_table == "crm_contacts")
    canonical = canonical_schema()["crm.contacts"]
    assert [c.name for c in contacts.columns] == list(canonical)
    assert {c.name for c in contacts.columns if c.required} == {"contact_id", "created_at"}
    assert contacts.precision_columns == ["created_at_precision"]


def test_environment_variable_names_the_configuration(tmp_path, monkeypatch):
    config = tmp_path / "mine.yml"
    config.write_text("use: [reviews_csv]\n")
    monkeypatch.setenv(CONFIG_ENV, str(config))
    specs = {s.raw_table: s for s in load_config()}
    assert specs["reviews_reviews"].files == "reviews/*.csv*"
    assert specs["crm_contacts"].files == NOT_CONFIGURED and not specs["crm_contacts"].configured
    monkeypatch.delenv(CONFIG_ENV)
    assert load_config()[0].origin == str(DEFAULT_CONFIG)


def test_a_user_file_overrides_a_preset_key_by_key(tmp_path):
    config = tmp_path / "mine.yml"
    config.write_text(
        "use: [hubspot]\n"
        "sources:\n"
        "  crm:\n"
        "    timezone: Asia/Tokyo\n"
        "    tables:\n"
        "      contacts:\n"
        "        files: exports/contacts-*.csv\n"
        "        columns: {lead_source: 'Latest Source'}\n"
    )
    contacts = next(s for s in load_config(config) if s.raw_table == "crm_contacts")
    by_name = {c.name: c for c in contacts.columns}
    assert contacts.files == "exports/contacts-*.csv" and contacts.timezone == "Asia/Tokyo"
    assert by_name["lead_source"].source == "Latest Source"
    assert by_name["contact_id"].source == "Record ID"  # still the preset's
    assert str(config) in contacts.mapping and "preset hubspot" in contacts.mapping


def test_short_and_long_column_forms_and_expressions(tmp_path):
    config = tmp_path / "s.yml"
    config.write_text(OWNERS % "{owner_id: ID, team: {from: Team}, role: {expr: \"upper(\\\"Role\\\")\"}}")
    owners = next(s for s in load_config(config) if s.raw_table == "crm_owners")
    by_name = {c.name: c for c in owners.columns}
    assert (by_name["owner_id"].source, by_name["team"].source, by_name["role"].expr) == ("ID", "Team", 'upper("Role")')
    assert by_name["role"].inputs == ("Role",)
    assert by_name["email"].source is None and by_name["email"].inputs == ()


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("sources: {crm: {timezone: Mars/Olympus, tables: {owners: {}}}}", "sources.crm.timezone: unknown time zone 'Mars/Olympus'"),
        ("sources: {crm: {tables: {owners: {files: x, format: xlsx, columns: {}}}}}",
         "sources.crm.tables.owners.format: 'xlsx' is not one of ['csv', 'ndjson', 'parquet']"),
        ("sources: {crm: {tables: {owners: {format: csv, columns: {}}}}}", "sources.crm.tables.owners: missing 'files'"),
        (OWNERS % "{owner_id: {type: text}}", "sources.crm.tables.owners.columns.owner_id: needs a 'from:'"),
        (OWNERS % "{owner_id: {from: a, expr: b}}", "(one of the two)"),
        (OWNERS % "{owner_id: {from: ID, type: uuid}}",
         "sources.crm.tables.owners.columns.owner_id.type: 'uuid' is not one of"),
        (OWNERS % "{owner_id: {from: ID, type: bigint}}", "'bigint' differs from the canonical type 'text'"),
        (OWNERS % "{owner_id: {from: ID, required: false}}", "owner_id.required: fixed to True"),
        (OWNERS % "{team: Team}", "sources.crm.tables.owners.columns.owner_id: required canonical column has no mapping"),
        (OWNERS % OWNER_ID % ", shoe_size: Size", "columns.shoe_size: not a canonical column of crm.owners"),
        (OWNERS % OWNER_ID % ", team: {expr: 'read_csv(\"x\")'}", "columns.team.expr: 'read_csv' is not allowed"),
        (OWNERS % OWNER_ID % ", team: {expr: 'upper(\"Team\"'}", "columns.team.expr: DuckDB cannot evaluate it"),
        (OWNERS % OWNER_ID % ", team: {expr: '\"Team\"; drop table x'}", "unexpected character ';'"),
        (OWNERS % OWNER_ID % ", team: {expr: 'select 1'}", "'select' is not allowed"),
        ("sources: {crm: {tables: {tickets: {files: x, format: csv, columns: {}}}}}",
         "sources.crm.tables.tickets: not a canonical raw table"),
        ("sources: {crm: {tables: {owners: {files: x, format: csv, columns: {owner_id: ID}, delimeter: ';'}}}}",
         "unknown key(s) ['delimeter']"),
        ("sources: {crm: {tables: {owners: {files: x, format: csv, columns: {owner_id: ID}, csv: {delimiter: ';;'}}}}}",
         "csv.delimiter: ';;' must be one character"),
        ("sources: {crm: {tables: {owners: {files: x, format: csv, columns: {owner_id: ID}, csv: {encoding: klingon}}}}}",
         "csv.encoding: unknown encoding 'klingon'"),
        ("sources: {crm: {tables: {owners: {files: x, format: csv, columns: {owner_id: ID}, extra: hoard}}}}",
         "extra: 'hoard' is not one of ['drop', 'keep']"),
        ("sources: {crm: {tables: {owners: {files: x, format: csv, columns: {owner_id: ID}, timestamp_formats: [x]}}}}",
         "timestamp_formats: expected a list of strptime formats"),
        ("use: [hubspot, salesforce]", "both declare crm.contacts"),
        ("use: [zoho]", "use: no preset 'zoho'; presets are"),
        ("sources: [1, 2]", "expected a top-level 'sources:' mapping"),
        ("source: {}", "expected a top-level 'sources:' mapping"),
        ("sources: {crm: {tables: {owners: {files: x, format: csv, columns: {owner_id: ID}}}}}\nuse: []\nextra: 1",
         "unknown top-level key(s) ['extra']"),
        ("sources: {crm: {timezone: UTC, tables: {owners: [1]}}}", "sources.crm.tables.owners: expected a mapping"),
        ("sources: {crm: {timezone: UTC, tables: {owners: [1]}}", "not valid YAML"),
    ],
)
def test_mistakes_are_named(tmp_path, yaml_text, message):
    path = tmp_path / "sources.yml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


def test_a_missing_configuration_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="no such source configuration"):
        load_config(tmp_path / "nope.yml")
