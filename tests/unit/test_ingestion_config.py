"""sources.yml is validated with messages that say where the mistake is."""

from __future__ import annotations

import pytest

from orchestration.ingestion import ConfigError, load_config


def test_shipped_configuration_declares_every_raw_table():
    tables = {spec.raw_table for spec in load_config()}
    assert tables == {
        "crm_contacts", "crm_engagements", "crm_deals", "crm_deal_stages", "crm_owners", "crm_time_logs",
        "web_events", "survey_responses", "reviews_reviews",
    }


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("sources: {crm: {timezone: Mars/Olympus, tables: {}}}", "sources.crm.timezone: unknown time zone"),
        ("sources: {crm: {tables: {a: {files: x, format: xlsx, columns: {}}}}}", "sources.crm.tables.a.format"),
        ("sources: {crm: {tables: {a: {format: csv, columns: {}}}}}", "sources.crm.tables.a: missing 'files'"),
        ("sources: {crm: {tables: {a: {files: x, format: csv, columns: {id: {type: text}}}}}}",
         "sources.crm.tables.a.columns.id: needs a 'from:'"),
        ("sources: {crm: {tables: {a: {files: x, format: csv, columns: {id: {from: ID, type: uuid}}}}}}",
         "sources.crm.tables.a.columns.id.type: 'uuid'"),
        ("sources: [1, 2]", "expected a top-level 'sources:' mapping"),
    ],
)
def test_mistakes_are_named(tmp_path, yaml_text, message):
    path = tmp_path / "sources.yml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_config(path)
