"""Sensors: start ingestion when landing files appear; raise an alert when a run fails."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import date, timedelta
from pathlib import Path

from dagster import (
    AssetKey,
    DagsterEventType,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from ..alerts import FailedStep, build_alert_payload, send_alert
from ..night import not_yet_loaded
from ..settings import Settings
from .ingestion import raw_asset_key, table_specs
from .partitions import RANGE_END_TAG, RANGE_START_TAG, is_daily_sharded, shard_date, web_event_partitions
from .publish import write_gate_report
from .resources import PathsResource

# A file modified this recently may still be being copied: it is picked up at a later tick.
SETTLE_SECONDS = 10


def file_signature(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def changed_files(landing: Path, seen: dict[str, str], now: float, specs,
                  settle_seconds: float = SETTLE_SECONDS) -> set[str]:
    """The landing files (relative names) not seen before or changed since, and settled."""
    return {relative for relative, signature, path in _landing(landing, specs)
            if seen.get(relative) != signature and now - path.stat().st_mtime >= settle_seconds}


def _landing(landing: Path, specs):
    for spec in (s for s in specs if s.configured):
        for path in spec.landing_files(landing):  # the one answer to "which files does this table read"
            yield path.relative_to(landing).as_posix(), file_signature(path), path


def landing_requests(landing: Path, seen: dict[str, str], now: float, partition_keys: set[str], specs,
                     held: frozenset[str] = frozenset(), settle_seconds: float = SETTLE_SECONDS):
    """Run requests for landing files not seen before (or changed since), and the updated cursor.

    New daily shards of consecutive days share one partition-range run (a first tick over half a
    year of shards is one run, not 181); the snapshot exports that changed share one run. Each run
    key names the files and their signatures, so the same file version never runs twice. Files in
    `held` (the warehouse already holds them, as they are now) are remembered and not requested.
    """
    seen = dict(seen)
    snapshot_keys, snapshot_files, requests, skipped = set(), [], [], []
    shards: dict[AssetKey, dict[date, str]] = {}
    later: dict[AssetKey, list[str]] = {}
    last_key = max(partition_keys, default=None)
    for spec in (s for s in specs if s.configured):
        for path in spec.landing_files(landing):
            relative, signature = path.relative_to(landing).as_posix(), file_signature(path)
            if seen.get(relative) == signature or now - path.stat().st_mtime < settle_seconds:
                continue
            seen[relative] = signature
            if relative in held:
                continue
            if is_daily_sharded(spec):
                day = shard_date(path)
                if day is not None and last_key is not None and day.isoformat() > last_key:
                    # a day the partitions do not reach yet (they end at the last day with data
                    # when the definitions loaded): loaded now, by an unpartitioned run
                    later.setdefault(raw_asset_key(spec), []).append(f"{relative}@{signature}")
                    continue
                if day is None or day.isoformat() not in partition_keys:
                    skipped.append(relative)
                    continue
                shards.setdefault(raw_asset_key(spec), {})[day] = f"{relative}@{signature}"
            else:
                snapshot_keys.add(raw_asset_key(spec))
                snapshot_files.append(f"{relative}@{signature}")
    for key, by_day in shards.items():
        for days in _consecutive(sorted(by_day)):
            files = [by_day[d] for d in days]
            first, last = days[0].isoformat(), days[-1].isoformat()
            # One day is a partition; several are a range, given as the tags a single-run backfill carries.
            single = first == last
            requests.append(RunRequest(
                run_key=f"{key.to_user_string()}:{first}..{last}:{_digest(files)}",
                partition_key=first if single else None,
                asset_selection=[key],
                tags={**({} if single else {RANGE_START_TAG: first, RANGE_END_TAG: last}),
                      "mot/landing_files": _names(files)},
            ))
    for key, files in later.items():
        requests.append(RunRequest(run_key=f"{key.to_user_string()}:after-partitions:{_digest(files)}",
                                   asset_selection=[key], tags={"mot/landing_files": _names(files)}))
    if snapshot_files:
        requests.append(RunRequest(
            run_key=f"snapshots:{_digest(snapshot_files)}",
            asset_selection=sorted(snapshot_keys, key=lambda k: k.to_user_string()),
            tags={"mot/landing_files": _names(snapshot_files)},
        ))
    return requests, seen, skipped


def _consecutive(days: list[date]) -> list[list[date]]:
    runs: list[list[date]] = []
    for day in days:
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _digest(files: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()[:16]


def _names(files: list[str]) -> str:
    names = ", ".join(f.rsplit("@", 1)[0] for f in files)
    return names if len(names) <= 500 else names[:480] + f"… ({len(files)} files)"


def build_landing_files_sensor(job, specs, settings: Settings):
    partitions = web_event_partitions(settings, specs)

    @sensor(
        name="landing_files",
        job=job,
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Start ingestion when new or changed files appear in the landing folder "
        "(cursor: each file's size and modification time, so a file version is processed once).",
    )
    def landing_files_sensor(context: SensorEvaluationContext, paths: PathsResource):
        landing = Path(paths.landing_dir)
        if not landing.is_dir():
            return SkipReason(f"no landing folder at {landing}")
        seen = json.loads(context.cursor) if context.cursor else {}
        import duckdb  # late: DuckDB is not needed to load the definitions

        now = time.time()
        # never request a file the run would reject as still being written (Settings.settle_seconds)
        settle = max(SETTLE_SECONDS, paths.settle_seconds)
        candidates = changed_files(landing, seen, now, specs, settle)
        try:
            # A file the warehouse already holds, with this content and mapping, is not loaded
            # again (a fresh cursor, a touched file): the same question `mot run` asks first.
            new = set(not_yet_loaded(specs, landing, settings.warehouse_path, only=candidates)) if candidates else set()
        except duckdb.Error as exc:
            return SkipReason(f"the warehouse is busy ({str(exc).splitlines()[0]}): looked again at the next tick")
        keys = set(partitions.get_partition_keys(dynamic_partitions_store=context.instance))
        requests, seen, skipped = landing_requests(landing, seen, now, keys, specs, held=frozenset(candidates - new),
                                                   settle_seconds=settle)
        if skipped:
            context.log.warning(f"shards outside the daily partitions, not ingested: {', '.join(skipped)}")
        if not requests:
            held = f" ({len(candidates - new)} changed on disk but already in the warehouse)" if candidates - new else ""
            return SensorResult(skip_reason=SkipReason(f"no new files in {landing}{held}"),
                                cursor=json.dumps(seen, sort_keys=True))
        return SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))

    return landing_files_sensor


def build_alert_on_run_failure(settings: Settings | None = None):
    """`settings` None: read when the sensor runs (a sensor built outside the definitions)."""

    @run_failure_sensor(
        name="alert_on_run_failure",
        default_status=DefaultSensorStatus.RUNNING,
        description="Write an alert (log, alerts file, optional webhook) for every failed run of this project.",
    )
    def alert_on_run_failure(context: RunFailureSensorContext, paths: PathsResource):
        run = context.dagster_run
        failures = context.instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
        failed_steps = [
            FailedStep(event.step_key or "?", _error_text(event.dagster_event.event_specific_data))
            for event in failures
            if event.dagster_event is not None
        ]
        payload = build_alert_payload(
            run_id=run.run_id,
            job_name=run.job_name,
            failed_steps=failed_steps,
            run_error=context.failure_event.message,
            ui_url=(settings or Settings.from_env()).dagster_ui_url,
        )
        webhook = (settings or Settings.from_env()).alert_webhook_url or None
        send_alert(payload, Path(paths.reports_dir), webhook, context.log)
        # A failed night's gate report too (a successful one is written by publish), however it started.
        write_gate_report(context.instance, run.run_id, Path(paths.reports_dir))

    return alert_on_run_failure


def __getattr__(name: str):
    # The sensors with the default settings, for code that predates the builders.
    if name == "landing_files_sensor":
        from .jobs import ingest_job

        settings = Settings.from_env()
        return build_landing_files_sensor(ingest_job(), table_specs(settings.sources_config), settings)
    if name == "alert_on_run_failure":
        return build_alert_on_run_failure()
    raise AttributeError(name)


def _error_text(step_failure_data) -> str:
    error = getattr(step_failure_data, "error", None)
    if error is None:
        return "no error recorded"
    # A Failure raised from another error: the cause says what actually broke.
    return error.message + (f" (caused by {error.cause.message.strip()})" if error.cause else "")
