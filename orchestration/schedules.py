"""The nightly schedule; cron and time zone come from the environment."""

import os

from dagster import DefaultScheduleStatus, ScheduleDefinition

from .jobs import nightly_job

nightly_schedule = ScheduleDefinition(
    name="nightly",
    job=nightly_job,
    cron_schedule=os.environ.get("MOT_NIGHTLY_CRON", "0 3 * * *"),
    execution_timezone=os.environ.get("MOT_TIMEZONE", "UTC"),
    default_status=DefaultScheduleStatus.RUNNING,
)
