"""The landing sensor starts ingestion for new files, once per file version (dagster's sensor context)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, SkipReason, build_sensor_context

from orchestration.defs.dbt import RANGE_END_TAG, RANGE_START_TAG
from orchestration.defs.resources import PathsResource
from orchestration.defs.sensors import SETTLE_SECONDS, landing_files_sensor

SNAPSHOTS = {"crm/contacts.csv": "Record ID,Create Date\nC-1,2026-01-01 10:00:00\n",
             "reviews/reviews.csv": "Review ID,Stars,Published at\nR-1,5,2026-01-01 10:00:00\n"}


def land(landing: Path, relative: str, text: str, age_seconds: float = 60) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    settled = time.time() - age_seconds
    os.utime(path, (settled, settled))
    return path


def tick(instance, landing: Path, cursor: str | None, settle_seconds: float = 0.0):
    context = build_sensor_context(
        instance=instance, cursor=cursor, resources={"paths": PathsResource(
            landing_dir=str(landing), published_path=str(landing / "p.duckdb"), reports_dir=str(landing / "r"),
            settle_seconds=settle_seconds)},
    )
    return landing_files_sensor(context)


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as instance:
        yield instance


def test_new_files_start_ingestion_once_and_the_cursor_remembers_them(tmp_path, instance):
    landing = tmp_path / "landing"
    for relative, text in SNAPSHOTS.items():
        land(landing, relative, text)
    for day in ("20260101", "20260102"):
        land(landing, f"web/events_{day}.ndjson", '{"event_name": "page_view"}\n')

    land(landing, "web/events_20260105.ndjson", '{"event_name": "page_view"}\n')

    first = tick(instance, landing, None)
    # Consecutive shards share one partition-range run, a lone shard is a partition, and the
    # snapshot exports that changed share one unpartitioned run.
    windows = {(r.partition_key, r.tags.get(RANGE_START_TAG), r.tags.get(RANGE_END_TAG)):
               {k.to_user_string() for k in r.asset_selection} for r in first.run_requests}
    assert windows == {
        (None, "2026-01-01", "2026-01-02"): {"raw/web_events"},
        ("2026-01-05", None, None): {"raw/web_events"},
        (None, None, None): {"raw/crm_contacts", "raw/reviews_reviews"},
    }
    assert len({r.run_key for r in first.run_requests}) == 3
    assert set(json.loads(first.cursor)) == {
        *SNAPSHOTS, "web/events_20260101.ndjson", "web/events_20260102.ndjson", "web/events_20260105.ndjson",
    }

    # Nothing new: no run, the cursor unchanged.
    second = tick(instance, landing, first.cursor)
    assert not second.run_requests and isinstance(second.skip_reason, SkipReason)
    assert second.cursor == first.cursor

    # A new shard and a new version of one snapshot: exactly those, nothing processed twice.
    land(landing, "web/events_20260103.ndjson", '{"event_name": "page_view"}\n')
    land(landing, "crm/contacts.csv", SNAPSHOTS["crm/contacts.csv"] + "C-2,2026-01-02 10:00:00\n", age_seconds=30)
    third = tick(instance, landing, second.cursor)
    assert {(r.partition_key, tuple(k.to_user_string() for k in r.asset_selection)) for r in third.run_requests} == {
        ("2026-01-03", ("raw/web_events",)), (None, ("raw/crm_contacts",)),
    }
    assert not {r.run_key for r in third.run_requests} & {r.run_key for r in first.run_requests}


def test_a_file_still_being_written_waits_for_a_later_tick(tmp_path, instance):
    landing = tmp_path / "landing"
    land(landing, "web/events_20260107.ndjson", "{}\n", age_seconds=0)
    first = tick(instance, landing, None)
    assert not first.run_requests and json.loads(first.cursor) == {}
    land(landing, "web/events_20260107.ndjson", "{}\n", age_seconds=SETTLE_SECONDS + 5)
    assert [r.partition_key for r in tick(instance, landing, first.cursor).run_requests] == ["2026-01-07"]


def test_the_sensor_waits_for_the_configured_settle_time_before_it_requests_a_file(tmp_path, instance):
    """A run requested earlier would only reject the file as still being written (Settings.settle_seconds)."""
    landing = tmp_path / "landing"
    land(landing, "web/events_20260107.ndjson", "{}\n", age_seconds=SETTLE_SECONDS + 60)
    first = tick(instance, landing, None, settle_seconds=300)
    assert not first.run_requests and json.loads(first.cursor) == {}
    land(landing, "web/events_20260107.ndjson", "{}\n", age_seconds=305)
    assert [r.partition_key for r in tick(instance, landing, first.cursor, settle_seconds=300).run_requests] == \
        ["2026-01-07"]


def test_a_shard_outside_the_partitions_is_not_requested(tmp_path, instance):
    landing = tmp_path / "landing"
    land(landing, "web/events_20190101.ndjson", "{}\n")
    result = tick(instance, landing, None)
    assert not result.run_requests


def test_a_missing_landing_folder_is_a_skip_not_an_error(tmp_path, instance):
    result = tick(instance, tmp_path / "nowhere", None)
    assert isinstance(result, SkipReason) or result.skip_reason


def test_web_event_partitions_end_at_the_last_day_with_data_and_a_later_shard_still_loads(tmp_path, instance):
    from dataclasses import replace

    from orchestration.defs.ingestion import table_specs
    from orchestration.defs.partitions import web_event_partitions
    from orchestration.defs.sensors import landing_requests
    from orchestration.settings import Settings

    landing = tmp_path / "landing"
    for day in ("20260101", "20260102", "20260110"):
        land(landing, f"web/events_{day}.ndjson", '{"event_name": "page_view"}\n')
    settings = replace(Settings.from_env(), landing_dir=landing, partitions_start="2026-01-01")
    specs = table_specs(settings.sources_config)
    partitions = web_event_partitions(settings, specs)
    keys = partitions.get_partition_keys()
    assert keys[0] == "2026-01-01" and keys[-1] == "2026-01-10" and len(keys) == 10
    # no shard at all: the days up to today, as before
    empty = replace(settings, landing_dir=tmp_path / "empty")
    assert web_event_partitions(empty, specs).get_last_partition_key() > "2026-01-10"

    # A day after the partitions lands later: one unpartitioned run loads it (the code location
    # shows its partition when it next loads); days within the partitions stay partition runs.
    land(landing, "web/events_20260111.ndjson", '{"event_name": "page_view"}\n')
    requests, _, skipped = landing_requests(landing, {}, time.time(), set(keys), specs)
    by_files = {r.tags["mot/landing_files"]: r for r in requests}
    later = by_files["web/events_20260111.ndjson"]
    assert later.partition_key is None and RANGE_START_TAG not in later.tags
    assert [k.to_user_string() for k in later.asset_selection] == ["raw/web_events"]
    assert by_files["web/events_20260110.ndjson"].partition_key == "2026-01-10"
    assert skipped == []
