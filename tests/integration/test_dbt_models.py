"""The dbt project on its own: it parses without a database, its manifest keeps the project's
MUST rules (contracts, schemas, no PII in marts, sources wired to the ingestion assets), and
`dbt build` on a generated sample reproduces the generator's speed-to-lead truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
PII_MARKERS = ("email", "phone", "first_name", "last_name", "reviewer_name")


def run_dbt(args: list[str], warehouse: Path, target_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MOT_DBT_TARGET": "duckdb",
        "MOT_WAREHOUSE_PATH": str(warehouse),
        **env,
    }
    return subprocess.run(
        [str(DBT), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(target_path), "--log-path", str(target_path / "logs")],
        capture_output=True, text=True, env=environ, timeout=1200,
    )


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    scratch = tmp_path_factory.mktemp("dbt_parse")
    missing_warehouse = scratch / "absent" / "warehouse.duckdb"
    completed = run_dbt(["parse", "--no-partial-parse"], missing_warehouse, scratch / "target")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not missing_warehouse.exists(), "parsing must not need (or create) a database"
    return json.loads((scratch / "target" / "manifest.json").read_text())


def models(manifest: dict) -> dict[str, dict]:
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def test_only_facts_dimensions_and_marts_are_built_in_the_published_schema(manifest):
    for name, node in models(manifest).items():
        layer = node["fqn"][1]
        expected_schema = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}[layer]
        assert node["schema"] == expected_schema, name
        if layer == "marts":
            assert name.startswith(("fct_", "dim_", "mart_")), name
            assert node["config"]["materialized"] == "table", name


def test_published_facts_and_marts_enforce_their_contracts(manifest):
    nodes = models(manifest)
    for name in ("fct_prospect_moments", "fct_prospect_journey", "mart_speed_to_lead", "dim_prospects", "dim_reps",
                 "dim_channels"):
        assert nodes[name]["config"]["contract"]["enforced"], name
        assert all(column.get("data_type") for column in nodes[name]["columns"].values()), name
    assert set(nodes["fct_prospect_moments"]["columns"]) >= {
        "prospect_moment_id", "prospect_id", "moment", "moment_order", "reached_at",
        "source_system", "source_event_id", "channel", "owner_id", "previous_moment",
        "seconds_since_previous_moment", "timestamp_precision", "is_out_of_order",
    }
    assert set(nodes["fct_prospect_journey"]["columns"]) >= {
        f"{moment}_at" for moment in ("stimulus", "zmot", "fmot", "purchase", "smot", "umot", "rmot")
    } | {"first_response_attempt_at", "response_channel", "requested_channel", "lead_source", "zmot_channel",
         "cohort_month", "rmot_referred_prospect_id", "referred_by_prospect_id"}


def test_no_mart_column_carries_personal_data(manifest):
    for name, node in models(manifest).items():
        if node["fqn"][1] != "marts":
            continue
        for column in node["columns"]:
            assert not any(marker in column for marker in PII_MARKERS), f"{name}.{column}"
            assert not node["columns"][column].get("meta", {}).get("pii"), f"{name}.{column}"


def test_sources_feed_staging_only_and_map_onto_the_ingestion_assets(manifest):
    sources = manifest["sources"].values()
    assert {source["name"] for source in sources} == {
        "crm_contacts", "crm_engagements", "crm_deals", "crm_deal_stages", "crm_owners", "crm_time_logs",
        "web_events", "survey_responses", "reviews_reviews", "load_log",
    }
    for source in sources:
        if source["source_name"] == "ingest":
            # The loader's own bookkeeping, written by every ingestion asset.
            assert source["meta"]["dagster"]["asset_key"] == ["ingest", "load_log"]
            continue
        assert source["meta"]["dagster"]["asset_key"] == ["raw", source["name"]]
        assert source["loaded_at_field"] == "_loaded_at"
    for name, node in models(manifest).items():
        reads_a_source = any(parent.startswith("source.") for parent in node["depends_on"]["nodes"])
        assert reads_a_source == (node["fqn"][1] == "staging"), name


def test_the_business_rules_are_declared_as_unit_tests(manifest):
    unit_tests = {test["name"] for test in manifest["unit_tests"].values()}
    assert {"test_fmot_rule_meaningful_engagements", "test_response_time_bucket_boundaries"} <= unit_tests
    # one per moment rule, plus stitching, sessionization and the out-of-order rule
    for moment in ("stimulus", "zmot", "fmot", "purchase", "smot", "umot", "rmot"):
        assert any(name.startswith(f"test_{moment}_rule") for name in unit_tests), moment
    assert {"test_stitching_resolves_visitors_to_one_contact", "test_sessions_split_after_inactivity",
            "test_out_of_order_moments_are_flagged_and_left_out_of_durations"} <= unit_tests


def test_staging_tags_every_personal_data_column(manifest):
    """The columns that hold personal data (hashed or not) carry meta.pii and the pii tag, so a
    `dbt ls --select tag:pii` lists them; and no source PII column reaches staging in clear."""
    tagged = set()
    for name, node in models(manifest).items():
        for column, spec in node["columns"].items():
            if spec.get("meta", {}).get("pii"):
                assert "pii" in spec.get("tags", []), f"{name}.{column}"
                tagged.add(f"{name}.{column}")
    assert {"stg_crm__contacts.email_sha256", "stg_web__events.email_sha256", "stg_web__events.user_pseudo_id",
            "stg_reviews__reviews.reviewer_email_sha256"} <= tagged
    for name, node in models(manifest).items():
        if node["fqn"][1] == "staging":
            assert not {"email", "phone", "first_name", "last_name", "reviewer_name"} & set(node["columns"]), name


def test_volume_models_are_incremental_with_a_lookback_and_event_grain_is_written_once(manifest):
    nodes = models(manifest)
    for name in ("stg_web__events", "stg_crm__engagements", "int_web_sessions_summarized"):
        # a stray --full-refresh does not rebuild them (var allow_full_refresh)
        assert nodes[name]["config"]["full_refresh"] is False, name
    for name in ("stg_web__events", "stg_crm__engagements"):
        assert nodes[name]["config"]["materialized"] == "incremental", name
        assert nodes[name]["config"]["incremental_strategy"] == "delete+insert", name
        assert "incremental_lookback_filter()" in nodes[name]["raw_code"], name
    # one sessionization rule, cut inside the incremental session summary (event grain stays in staging)
    assert [name for name, node in nodes.items() if "web_sessions_numbered(" in node["raw_code"]] == [
        "int_web_sessions_summarized"]
    assert nodes["int_web_sessions_summarized"]["config"]["materialized"] == "incremental"
    assert nodes["int_web_sessions_summarized"]["config"]["unique_key"] == "user_pseudo_id"


@pytest.fixture(scope="module")
def built_sample(tmp_path_factory) -> tuple[Path, dict]:
    """A small generated sample, ingested and built with plain `dbt build` (no Dagster)."""
    duckdb = pytest.importorskip("duckdb")
    generator = pytest.importorskip("orchestration.generator")
    ingestion = pytest.importorskip("orchestration.ingestion")

    root = tmp_path_factory.mktemp("dbt_sample")
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    generator.generate(landing, scale=0.05, seed=7)
    with duckdb.connect(str(warehouse)) as conn:
        for spec in ingestion.load_config():
            list(ingestion.ingest_table(conn, spec, landing))
    completed = run_dbt(["build"], warehouse, root / "target")
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-2000:]
    return warehouse, json.loads((landing / "truth.json").read_text())


@pytest.mark.slow
def test_speed_to_lead_reproduces_the_generators_truth(built_sample):
    import duckdb

    warehouse, truth = built_sample
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select response_time_bucket, leads, leads_reached_fmot from marts.mart_speed_to_lead"
            " where response_time_bucket <> '7 day-precise' order by bucket_order"
        ).fetchall()
    expected = truth["speed_to_lead"]["buckets"]
    assert [bucket for bucket, _, _ in rows] == list(expected)
    # A time zone slip would move leads between neighbouring buckets, so compare every count.
    assert {bucket: (leads, fmot) for bucket, leads, fmot in rows} == {
        bucket: (figures["leads"], figures["fmot"]) for bucket, figures in expected.items()
    }


@pytest.mark.slow
def test_every_moment_count_matches_the_truth(built_sample):
    import duckdb

    warehouse, truth = built_sample
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        counts = dict(conn.execute("select moment, count(*) from marts.fct_prospect_moments group by moment").fetchall())
    for moment in ("stimulus", "zmot", "fmot", "purchase", "smot", "umot", "rmot"):
        assert counts.get(moment, 0) == truth["moments"][moment], moment


def test_a_dst_overlap_time_reaches_staging_as_the_moment_the_export_meant(tmp_path):
    """Raw keeps America/New_York local times; staging's utc_timestamp macro (the one
    stg_survey__responses uses) turns 2026-11-01 01:30, a time New York has twice, into the second
    moment (standard time, 06:30 UTC) the loader said it would, and the same moment given with its
    -05:00 offset lands on the same UTC value."""
    import duckdb

    from orchestration.ingestion import ingest_table, load_config

    config = tmp_path / "sources.yml"
    config.write_text("sources:\n  survey:\n    timezone: America/New_York\n    tables:\n      responses:\n"
                      "        files: survey/*.csv\n        format: csv\n"
                      "        columns: {response_id: id, survey_type: kind, submitted_at: at}\n")
    landing = tmp_path / "landing" / "survey"
    landing.mkdir(parents=True)
    (landing / "responses.csv").write_text("id,kind,at\nr1,nps,2026-11-01 01:30:00\nr2,nps,2026-11-01T01:30:00-05:00\n"
                                           "r3,nps,2026-11-01 00:30:00\nr4,nps,2026-11-01\n")
    warehouse = tmp_path / "warehouse.duckdb"
    spec = next(s for s in load_config(config) if s.raw_table == "survey_responses")
    with duckdb.connect(str(warehouse)) as conn:
        [report] = ingest_table(conn, spec, tmp_path / "landing")
    assert report.rows_loaded == 4 and "has twice" in report.message, report.message

    shown = run_dbt(["show", "--output", "json", "--limit", "10", "--inline",
                     "select response_id, cast({{ utc_timestamp('submitted_at') }} as varchar) as submitted_at_utc "
                     "from raw.survey_responses order by 1"], warehouse, tmp_path / "target")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    payload, _ = json.JSONDecoder().raw_decode(shown.stdout[shown.stdout.rindex('{\n  "show"'):])
    assert {r["response_id"]: r["submitted_at_utc"] for r in payload["show"]} == {
        "r1": "2026-11-01 06:30:00", "r2": "2026-11-01 06:30:00",
        "r3": "2026-11-01 04:30:00",  # EDT, half an hour before the hour that repeats
        "r4": "2026-11-01 00:00:00",  # a date alone is a calendar day: no zone, no shift
    }
