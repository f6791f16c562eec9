"""The declarative landing-source configuration (sources.yml), loaded and validated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

DEFAULT_CONFIG = Path(__file__).with_name("sources.yml")

# Canonical type -> DuckDB column type of the raw table.
RAW_TYPES = {
    "text": "VARCHAR",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}
FORMATS = {"csv", "ndjson"}


class ConfigError(ValueError):
    """sources.yml says something the loader cannot act on."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    source: str
    type: str
    required: bool


@dataclass(frozen=True)
class TableSpec:
    source: str
    name: str
    files: str
    format: str
    timezone: str
    columns: tuple[ColumnSpec, ...]
    keep_json: str | None = None

    @property
    def raw_table(self) -> str:
        return f"{self.source}_{self.name}"


def load_config(path: Path = DEFAULT_CONFIG) -> list[TableSpec]:
    try:
        document = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("sources"), dict):
        raise ConfigError(f"{path}: expected a top-level 'sources:' mapping")

    tables = []
    for source, source_doc in document["sources"].items():
        where = f"{path}: sources.{source}"
        timezone = source_doc.get("timezone", "UTC")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"{where}.timezone: unknown time zone {timezone!r}") from exc
        for name, table_doc in (source_doc.get("tables") or {}).items():
            tables.append(_table(f"{where}.tables.{name}", source, name, timezone, table_doc))
    if not tables:
        raise ConfigError(f"{path}: no tables declared")
    return tables


def _table(where: str, source: str, name: str, timezone: str, doc: dict) -> TableSpec:
    for key in ("files", "format", "columns"):
        if key not in doc:
            raise ConfigError(f"{where}: missing '{key}'")
    if doc["format"] not in FORMATS:
        raise ConfigError(f"{where}.format: {doc['format']!r} is not one of {sorted(FORMATS)}")
    columns = []
    for column, spec in doc["columns"].items():
        if not isinstance(spec, dict) or "from" not in spec:
            raise ConfigError(f"{where}.columns.{column}: needs a 'from:' naming the export's column")
        column_type = spec.get("type", "text")
        if column_type not in RAW_TYPES:
            raise ConfigError(
                f"{where}.columns.{column}.type: {column_type!r} is not one of {sorted(RAW_TYPES)}"
            )
        columns.append(ColumnSpec(column, str(spec["from"]), column_type, bool(spec.get("required", False))))
    return TableSpec(
        source=source,
        name=name,
        files=doc["files"],
        format=doc["format"],
        timezone=timezone,
        columns=tuple(columns),
        keep_json=doc.get("keep_json"),
    )
