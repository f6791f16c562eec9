"""Partitions follow how the data arrives.

GA4 exports web events as one shard per UTC day (web/events_YYYYMMDD.ndjson), so raw.web_events is
partitioned by day: a partition is its shard, and a backfill of a date range (re)loads exactly
those shards. The CRM, survey and review exports are snapshots (each file holds all records up to
its export time), so cutting them by day would invent boundaries: they stay unpartitioned.
"""

import re
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from dagster import DailyPartitionsDefinition

from ..ingestion.config import TableSpec
from ..settings import Settings

# Raw tables whose landing files are one shard per UTC day, the date in the file name.
DAILY_SHARDED_TABLES = {"web_events"}
SHARD_DATE = re.compile(r"_(\d{4})(\d{2})(\d{2})\.[^/]+$")

# Run tags a partitioned run (a backfill, a daily run) carries; dbt gets the window as vars.
RANGE_START_TAG, RANGE_END_TAG, PARTITION_TAG = (
    "dagster/asset_partition_range_start", "dagster/asset_partition_range_end", "dagster/partition",
)


@cache
def daily_partitions_from(start_date: str, end_date: str | None = None) -> DailyPartitionsDefinition:
    """Days from `start_date` to the day before `end_date`; without an end, up to today included
    (end_offset=1: GA4's intraday export lands during the day)."""
    if end_date:
        return DailyPartitionsDefinition(start_date=start_date, end_date=end_date)
    return DailyPartitionsDefinition(start_date=start_date, end_offset=1)


def web_event_partitions(settings: Settings, specs) -> DailyPartitionsDefinition:
    """The days from the settings' start to the last day the landing folder has a shard for.

    Days after the data would only be empty partitions, shown as missing and backfilled for
    nothing. Read from the file names (no file is opened) when the definitions are built; a shard
    of a later day that lands afterwards is loaded by the landing sensor all the same, and becomes a
    partition when the code location next loads. No shard at all: the days up to today.
    """
    last = last_shard_day(settings.landing_dir, specs)
    start = date.fromisoformat(settings.partitions_start)
    end = (last + timedelta(days=1)).isoformat() if last is not None and last >= start else None
    return daily_partitions_from(settings.partitions_start, end)


def last_shard_day(landing_dir: Path, specs) -> date | None:
    if not Path(landing_dir).is_dir():
        return None
    days = [shard_date(path) for spec in specs if spec.configured and is_daily_sharded(spec)
            for path in spec.landing_files(Path(landing_dir))]
    return max((day for day in days if day is not None), default=None)


def shard_date(path: Path) -> date | None:
    """The UTC day of a daily shard, from its name (events_20260131.ndjson -> 2026-01-31)."""
    found = SHARD_DATE.search(path.name)
    return date(int(found[1]), int(found[2]), int(found[3])) if found else None


def is_daily_sharded(spec: TableSpec) -> bool:
    return spec.raw_table in DAILY_SHARDED_TABLES


def partition_window_vars(tags: Mapping[str, str]) -> dict[str, str]:
    """The dates a partitioned run covers, as dbt vars (`window_start`, `window_end`, inclusive).

    Incremental models may read them to rebuild exactly the backfilled days instead of their
    usual lookback; an unpartitioned run passes no vars and the models use their defaults.
    """
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if not start and tags.get(PARTITION_TAG):
        start = end = tags[PARTITION_TAG]
    return {"window_start": start, "window_end": end} if start and end else {}
