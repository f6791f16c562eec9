"""Schedules; crons and their time zone come from the settings (orchestration/settings.py)."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from .settings import orchestration_setting


def nightly_schedule(job) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="nightly",
        job=job,
        cron_schedule=orchestration_setting("MOT_NIGHTLY_CRON"),
        execution_timezone=orchestration_setting("MOT_TIMEZONE"),
        default_status=DefaultScheduleStatus.RUNNING,
        description="The full nightly job: ingest whatever landed, check, dbt build, publish.",
    )


def hourly_open_leads_schedule(job) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="hourly_open_leads",
        job=job,
        cron_schedule=orchestration_setting("MOT_HOURLY_CRON"),
        execution_timezone=orchestration_setting("MOT_TIMEZONE"),
        default_status=DefaultScheduleStatus.RUNNING,
        description="Refresh the open-leads mart every hour, so reps see new leads the same day.",
    )
