"""Schedules; crons and their time zone come from the settings (orchestration/settings.py)."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from ..settings import Settings


def nightly_schedule(job, settings: Settings) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="nightly",
        job=job,
        cron_schedule=settings.nightly_cron,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description="The full nightly job: ingest whatever landed, check, dbt build, publish.",
    )


def hourly_open_leads_schedule(job, settings: Settings) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="hourly_open_leads",
        job=job,
        cron_schedule=settings.hourly_cron,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Refresh the open-leads mart every hour, so reps see new leads the same day.",
    )
