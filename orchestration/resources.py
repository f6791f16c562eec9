"""Dagster resources: the DuckDB warehouse, the landing folder, the dbt CLI."""

from contextlib import contextmanager
from typing import Iterator

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from .dbt_project import dbt_project
from .settings import Settings


class WarehouseResource(ConfigurableResource):
    """The working DuckDB file. One writer at a time: steps that write it run one by one."""

    path: str
    memory_limit: str = "4GB"
    threads: int = 2

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
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


def build_resources(settings: Settings) -> dict:
    settings.export()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse_path),
            memory_limit=settings.duckdb_memory_limit,
            threads=settings.duckdb_threads,
        ),
        "paths": PathsResource(
            landing_dir=str(settings.landing_dir),
            published_path=str(settings.published_path),
            reports_dir=str(settings.reports_dir),
        ),
        "dbt": DbtCliResource(project_dir=dbt_project, target=settings.dbt_target),
    }
