"""Paths and knobs of a run, read from the environment with defaults under the project folder.

Every process of a run (the CLI, Dagster, the dbt subprocess) must agree on these, so they are
resolved to absolute paths once and exported back to the environment dbt reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]


def _path(var: str, default: str) -> Path:
    value = Path(os.environ.get(var) or default)
    return value if value.is_absolute() else (PROJECT_DIR / value)


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    publish_dir: Path
    reports_dir: Path
    dbt_target: str
    duckdb_memory_limit: str
    duckdb_threads: int
    # How long a night waits for another night holding the warehouse before it gives up.
    lock_timeout_seconds: float = 7200.0
    # dbt's target folder (DBT_TARGET_PATH, as dbt itself reads it): where `mot parse` writes the manifest.
    dbt_target_dir: Path = PROJECT_DIR / "target"
    # The source configuration (MOT_SOURCES_CONFIG); None: the shipped orchestration/ingestion/sources.yml.
    sources_config: Path | None = None

    @property
    def manifest_path(self) -> Path:
        return self.dbt_target_dir / "manifest.json"

    @property
    def published_path(self) -> Path:
        return self.publish_dir / "marts.duckdb"

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            landing_dir=_path("MOT_LANDING_DIR", "landing"),
            warehouse_path=_path("MOT_WAREHOUSE_PATH", "warehouse/warehouse.duckdb"),
            publish_dir=_path("MOT_PUBLISH_DIR", "published"),
            reports_dir=_path("MOT_REPORTS_DIR", "reports"),
            dbt_target=os.environ.get("MOT_DBT_TARGET", "duckdb"),
            duckdb_memory_limit=os.environ.get("MOT_DUCKDB_MEMORY_LIMIT", "4GB"),
            duckdb_threads=int(os.environ.get("MOT_DUCKDB_THREADS", "2")),
            lock_timeout_seconds=float(os.environ.get("MOT_LOCK_TIMEOUT_SECONDS", "7200")),
            dbt_target_dir=_path("DBT_TARGET_PATH", "target"),
            sources_config=Path(os.environ["MOT_SOURCES_CONFIG"]) if os.environ.get("MOT_SOURCES_CONFIG") else None,
        )

    def export(self) -> None:
        """Make the dbt subprocess (profiles.yml) see the same absolute paths."""
        os.environ["MOT_WAREHOUSE_PATH"] = str(self.warehouse_path)
        os.environ["MOT_DBT_TARGET"] = self.dbt_target
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


# How the pipeline is operated, read once when the definitions load (see README, "Operating it").
# Each knob: (environment variable, default).
ORCHESTRATION_DEFAULTS = {
    "MOT_NIGHTLY_CRON": "0 3 * * *",           # the nightly full job
    "MOT_TIMEZONE": "UTC",                     # time zone of every cron
    "MOT_HOURLY_CRON": "15 * * * *",           # the hourly open-leads refresh
    "MOT_HOURLY_DBT_SELECT": "mart_open_leads",  # dbt selection the hourly refresh builds
    "MOT_PARTITIONS_START": "2026-01-01",      # first day of the daily web-event partitions
    "MOT_RETRY_MAX": "3",                      # retries of a step that failed transiently
    "MOT_RETRY_DELAY_SECONDS": "5",            # first retry delay, doubled at each attempt
    "MOT_SENSOR_INTERVAL_SECONDS": "60",       # how often the landing folder is scanned
    "MOT_ALERT_WEBHOOK_URL": "",               # optional: failed runs are POSTed here as JSON
    "MOT_DAGSTER_UI_URL": "http://localhost:3000",  # links to runs in alerts
}


def orchestration_setting(var: str) -> str:
    return os.environ.get(var) or ORCHESTRATION_DEFAULTS[var]
