"""Dagster resources: the DuckDB warehouse, the landing folder, the dbt CLI."""

from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from dagster_dbt import DbtCliResource, DbtProject

from .. import guard
from ..dbt_project import DBT_LAUNCHER
from ..settings import PROJECT_DIR, PostgresServer, Settings

if TYPE_CHECKING:
    import duckdb


@cache
def dbt_project_for(target: str = "duckdb", target_dir: Path = PROJECT_DIR / "target") -> DbtProject:
    """The dbt project at the repository root as dagster-dbt sees it, once per target."""
    return DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target=target, target_path=target_dir)


def project(settings: Settings) -> DbtProject:
    return dbt_project_for(settings.dbt_target, settings.dbt_target_dir)


class WarehouseResource(ConfigurableResource):
    """The working DuckDB file. One night at a time: a run that uses it holds the night lock
    (orchestration/guard.py) from the moment its resources are set up until the run ends, however
    the run was started (`mot run`, the schedule, a sensor, the UI)."""

    path: str
    memory_limit: str = "4GB"
    threads: int = 2
    lock_timeout_seconds: float = 7200.0
    # MOT_DBT_TARGET=postgres: dbt builds in this server; the DuckDB file still holds what the
    # loader validated (and lands there) and, for the mart gate and publish, the marts fetched back.
    on_postgres: bool = False
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    pg_password: str = ""
    pg_database: str = "moments_of_truth"

    # MOT_DBT_TARGET=spark: dbt builds on the cluster from the raw tables written as Parquet under
    # spark_dir, and the marts come back into the DuckDB file (orchestration/engines/spark.py).
    on_spark: bool = False
    spark_dir: str = ""

    def postgres(self) -> PostgresServer | None:
        """The PostgreSQL server dbt builds in, or None on the DuckDB target."""
        if not self.on_postgres:
            return None
        return PostgresServer(self.pg_host, self.pg_port, self.pg_user, self.pg_password, self.pg_database)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        guard.acquire(Path(self.path), self.lock_timeout_seconds, log=context.log.info if context.log else print)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        guard.release(Path(self.path))

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator["duckdb.DuckDBPyConnection"]:
        import duckdb  # late: DuckDB is not needed to load the definitions

        conn = duckdb.connect(
            self.path,
            read_only=read_only,
            config={"memory_limit": self.memory_limit, "threads": self.threads},
        )
        try:
            yield conn
        finally:
            conn.close()


class PathsResource(ConfigurableResource):
    landing_dir: str
    published_path: str
    reports_dir: str
    # Settings.settle_seconds: carried by the resource so every run of these definitions (mot run,
    # the schedule, the sensor's runs, the UI) leaves a file still being written for a later night.
    settle_seconds: float = 0.0


def build_resources(settings: Settings) -> dict:
    settings.export()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse_path),
            memory_limit=settings.duckdb_memory_limit,
            threads=settings.duckdb_threads,
            lock_timeout_seconds=settings.lock_timeout_seconds,
            on_postgres=settings.on_postgres,
            pg_host=settings.postgres.host,
            pg_port=settings.postgres.port,
            pg_user=settings.postgres.user,
            # by name, not value: resource config is shown in the Dagster UI (export() sets the variable)
            pg_password=EnvVar("MOT_PG_PASSWORD") if settings.postgres.password else "",
            pg_database=settings.postgres.database,
            on_spark=settings.on_spark,
            spark_dir=str(settings.spark_data_dir),
        ),
        "paths": PathsResource(
            landing_dir=str(settings.landing_dir),
            published_path=str(settings.published_path),
            reports_dir=str(settings.reports_dir),
            settle_seconds=settings.settle_seconds,
        ),
        "dbt": DbtCliResource(project_dir=project(settings), target=settings.dbt_target, dbt_executable=DBT_LAUNCHER),
    }
