"""Landing files -> raw tables in the warehouse (Python + DuckDB)."""

from .config import ConfigError, TableSpec, load_config
from .loader import FileReport, ingest_table

__all__ = ["ConfigError", "FileReport", "TableSpec", "ingest_table", "load_config"]
