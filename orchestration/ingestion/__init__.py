"""Landing files -> raw tables in the warehouse (Python + DuckDB)."""

from .config import ConfigError, TableSpec, load_config

__all__ = ["ConfigError", "FileReport", "TableSpec", "ingest_table", "load_config"]


def __getattr__(name: str):
    # The loader (and DuckDB with it) only when asked for: reading the configuration, as loading
    # the Dagster definitions does, needs neither.
    if name in ("FileReport", "ingest_table"):
        from . import loader

        return getattr(loader, name)
    raise AttributeError(name)
