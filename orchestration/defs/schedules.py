"""Schedules; crons and their time zone come from the settings (orchestration/settings.py)."""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from ..night import new_or_changed
from ..settings import Settings


def nightly_schedule(job, settings: Settings, specs) -> ScheduleDefinition:
    @schedule(
        name="nightly",
        job=job,
        cron_schedule=settings.nightly_cron,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description="The full nightly job: ingest whatever landed, check, dbt build, publish. Skipped, "
        "with the reason, when no landing file is new or changed since the last publish (as `mot run`).",
    )
    def nightly(context: ScheduleEvaluationContext):
        if not settings.landing_dir.is_dir():
            # a missing folder is a mistake: the run fails on it, naming the folder, and alerts
            return RunRequest()
        new = new_or_changed(specs, settings.landing_dir, settings.warehouse_path, settings.published_path)
        if not new:
            return SkipReason(f"no new data in {settings.landing_dir}: every file is already loaded and "
                              f"published ({settings.published_path}); nothing republished")
        return RunRequest()

    return nightly


def hourly_open_leads_schedule(job, settings: Settings) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="hourly_open_leads",
        job=job,
        cron_schedule=settings.hourly_cron,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Refresh the open-leads mart every hour, so reps see new leads the same day.",
    )
