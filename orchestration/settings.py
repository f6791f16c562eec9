"""Every path and knob of a run, in one Settings object read once at the entry point.

The entry points are `mot` (orchestration/cli.py) and the Dagster code location
(orchestration/definitions.py, `defs`); both call Settings.from_env() once and pass the object
down. No other module reads the environment for these. Paths are resolved to absolute paths once,
and the few values dbt reads from its profile (profiles.yml: the warehouse file, the target) are
exported back to the environment of the dbt process by export().
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
# Where scripts/postgres.sh keeps its private cluster and writes the connection settings of the
# server it started (server.env): the defaults of the MOT_PG_* variables below.
POSTGRES_DIR = ".postgres"
# Where scripts/spark.sh keeps the pids and logs of its standalone cluster and writes the master's
# URL (cluster.env): the default of MOT_SPARK_MASTER below.
SPARK_CLUSTER_DIR = ".spark"


def _path(env: dict, var: str, default: str) -> Path:
    value = Path(env.get(var) or default)
    return value if value.is_absolute() else (PROJECT_DIR / value)


@dataclass(frozen=True)
class PostgresServer:
    """The PostgreSQL server of MOT_DBT_TARGET=postgres: dbt's profile and the raw-table lander use it."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    database: str = "moments_of_truth"

    @classmethod
    def from_env(cls, env, server_env: Path) -> "PostgresServer":
        """MOT_PG_* from the environment, else from the server.env that scripts/postgres.sh wrote."""
        written = _read_env_file(server_env)
        value = lambda var, default: env.get(var) or written.get(var) or default  # noqa: E731
        return cls(
            host=value("MOT_PG_HOST", cls.host),
            port=int(value("MOT_PG_PORT", cls.port)),
            user=value("MOT_PG_USER", cls.user),
            password=env.get("MOT_PG_PASSWORD", written.get("MOT_PG_PASSWORD", cls.password)),
            database=value("MOT_PG_DATABASE", cls.database),
        )

    def connect_kwargs(self) -> dict:
        return {"host": self.host, "port": self.port, "user": self.user, "password": self.password,
                "dbname": self.database}

    def environment(self) -> dict[str, str]:
        """What profiles.yml's postgres output reads."""
        return {"MOT_PG_HOST": self.host, "MOT_PG_PORT": str(self.port), "MOT_PG_USER": self.user,
                "MOT_PG_PASSWORD": self.password, "MOT_PG_DATABASE": self.database}


class SettingsError(ValueError):
    """A setting in the environment that cannot be used: the message names the variable."""


def _non_negative(env, var: str, default: float) -> float:
    """A number of seconds from the environment; a mistake (text, a negative) is one clear message."""
    raw = env.get(var)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise SettingsError(f"{var}={raw!r}: expected a number of seconds, 0 or more")
    return value


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


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
    # How the pipeline is operated (see README, "Operating it").
    nightly_cron: str = "0 3 * * *"              # the nightly full job
    timezone: str = "UTC"                        # time zone of every cron
    hourly_cron: str = "15 * * * *"              # the hourly open-leads refresh
    hourly_dbt_select: str = "mart_open_leads"   # dbt selection the hourly refresh builds
    partitions_start: str = "2026-01-01"         # first day of the daily web-event partitions
    retry_max: int = 3                           # retries of a step that failed transiently
    retry_delay_seconds: float = 5.0             # first retry delay, doubled at each attempt
    sensor_interval_seconds: int = 60            # how often the landing folder is scanned
    alert_webhook_url: str = ""                  # optional: failed runs are POSTed here as JSON
    dagster_ui_url: str = "http://localhost:3000"  # links to runs in alerts
    earliest_timestamp: str = "2000-01-01"       # earlier timestamps are typos or epoch defaults
    # A landing file modified less than this long ago may still be being written: every night
    # (mot run, the schedule, the sensor's runs, a run launched in the UI) rejects it with a
    # load_log line and reads it on a later night; `mot ingest` too.
    settle_seconds: float = 0.0
    postgres: PostgresServer = PostgresServer()  # the server of MOT_DBT_TARGET=postgres
    # MOT_DBT_TARGET=spark: the cluster's master (MOT_SPARK_MASTER, else the one scripts/spark.sh
    # started; without either, dbt-spark runs Spark inside its own process, local[2]) and the
    # folder of the raw Parquet, Spark's tables and its metastore (MOT_SPARK_DIR; default: a
    # `spark` folder beside the working DuckDB file).
    spark_master: str = "local[2]"
    spark_dir: Path | None = None

    @property
    def on_postgres(self) -> bool:
        """dbt builds in PostgreSQL: ingestion lands the raw tables there, and the marts come back
        into the working DuckDB file for the mart gate and publish."""
        return self.dbt_target == "postgres"

    @property
    def on_spark(self) -> bool:
        """dbt builds on Spark: the raw tables go to it as Parquet, and the marts come back into
        the working DuckDB file for the mart gate and publish."""
        return self.dbt_target == "spark"

    @property
    def spark_data_dir(self) -> Path:
        return self.spark_dir or self.warehouse_path.parent / "spark"

    @property
    def published_path(self) -> Path:
        return self.publish_dir / "marts.duckdb"

    @property
    def manifest_path(self) -> Path:
        return self.dbt_target_dir / "manifest.json"

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        defaults = cls(Path(), Path(), Path(), Path(), "", "", 0)
        text = lambda var, field: env.get(var) or getattr(defaults, field)  # noqa: E731
        return cls(
            landing_dir=_path(env, "MOT_LANDING_DIR", "landing"),
            warehouse_path=_path(env, "MOT_WAREHOUSE_PATH", "warehouse/warehouse.duckdb"),
            publish_dir=_path(env, "MOT_PUBLISH_DIR", "published"),
            reports_dir=_path(env, "MOT_REPORTS_DIR", "reports"),
            dbt_target=env.get("MOT_DBT_TARGET", "duckdb"),
            duckdb_memory_limit=env.get("MOT_DUCKDB_MEMORY_LIMIT", "4GB"),
            duckdb_threads=int(env.get("MOT_DUCKDB_THREADS", "2")),
            lock_timeout_seconds=float(text("MOT_LOCK_TIMEOUT_SECONDS", "lock_timeout_seconds")),
            dbt_target_dir=_path(env, "DBT_TARGET_PATH", "target"),
            sources_config=Path(env["MOT_SOURCES_CONFIG"]) if env.get("MOT_SOURCES_CONFIG") else None,
            nightly_cron=text("MOT_NIGHTLY_CRON", "nightly_cron"),
            timezone=text("MOT_TIMEZONE", "timezone"),
            hourly_cron=text("MOT_HOURLY_CRON", "hourly_cron"),
            hourly_dbt_select=text("MOT_HOURLY_DBT_SELECT", "hourly_dbt_select"),
            partitions_start=text("MOT_PARTITIONS_START", "partitions_start"),
            retry_max=int(text("MOT_RETRY_MAX", "retry_max")),
            retry_delay_seconds=float(text("MOT_RETRY_DELAY_SECONDS", "retry_delay_seconds")),
            sensor_interval_seconds=int(text("MOT_SENSOR_INTERVAL_SECONDS", "sensor_interval_seconds")),
            alert_webhook_url=text("MOT_ALERT_WEBHOOK_URL", "alert_webhook_url"),
            dagster_ui_url=text("MOT_DAGSTER_UI_URL", "dagster_ui_url"),
            earliest_timestamp=text("MOT_EARLIEST_TIMESTAMP", "earliest_timestamp"),
            settle_seconds=_non_negative(env, "MOT_SETTLE_SECONDS", defaults.settle_seconds),
            postgres=PostgresServer.from_env(env, _path(env, "MOT_PG_DIR", POSTGRES_DIR) / "server.env"),
            spark_master=(env.get("MOT_SPARK_MASTER")
                          or _read_env_file(_path(env, "MOT_SPARK_CLUSTER_DIR", SPARK_CLUSTER_DIR) / "cluster.env")
                          .get("MOT_SPARK_MASTER") or "local[2]"),
            spark_dir=_path(env, "MOT_SPARK_DIR", "") if env.get("MOT_SPARK_DIR") else None,
        )

    def export(self) -> None:
        """Make the dbt subprocess (profiles.yml) see the same absolute paths."""
        os.environ["MOT_WAREHOUSE_PATH"] = str(self.warehouse_path)
        os.environ["MOT_DBT_TARGET"] = self.dbt_target
        if self.on_postgres:
            os.environ.update(self.postgres.environment())
        if self.on_spark:
            os.environ["MOT_SPARK_MASTER"] = self.spark_master
            os.environ["MOT_SPARK_DIR"] = str(self.spark_data_dir)
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
