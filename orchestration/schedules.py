"""Schedules; crons and their time zone come from the environment (orchestration/settings.py)."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from .jobs import hourly_open_leads_job, nightly_job
from .settings import orchestration_setting

nightly_schedule = ScheduleDefinition(
    name="nightly",
    job=nightly_job,
    cron_schedule=orchestration_setting("MOT_NIGHTLY_CRON"),
    execution_timezone=orchestration_setting("MOT_TIMEZONE"),
    default_status=DefaultScheduleStatus.RUNNING,
    description="The full nightly job: ingest whatever landed, check, dbt build, publish.",
)

hourly_open_leads_schedule = ScheduleDefinition(
    name="hourly_open_leads",
    job=hourly_open_leads_job,
    cron_schedule=orchestration_setting("MOT_HOURLY_CRON"),
    execution_timezone=orchestration_setting("MOT_TIMEZONE"),
    default_status=DefaultScheduleStatus.RUNNING,
    description="Refresh the open-leads mart every hour, so reps see new leads the same day.",
)
