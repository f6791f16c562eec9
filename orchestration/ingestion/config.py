"""The declarative landing-source configuration, loaded and validated against the canonical schema.

A configuration file (the shipped sources.yml, or the file named by $MOT_SOURCES_CONFIG) says, per
canonical raw table, where the export's files are, how to parse them and which of the export's
columns (or which expression over them) fills each canonical column. It may start from presets:

    use: [hubspot, ga4_bigquery]        # orchestration/ingestion/presets/<name>.yml, or a path
    sources:
      crm:
        timezone: Europe/London         # anything here overrides the presets, key by key
        tables:
          contacts: {files: "hubspot/contacts*.csv"}

A table may instead be a list of mappings, each with a unique `name:`, when one canonical table is
fed several ways (owners from the SDR column and from the closer column of one deals export):

    owners:
      - {name: sdr,    files: "deals*.csv", format: csv, columns: {owner_id: "SDR"}}
      - {name: closer, files: "deals*.csv", format: csv, columns: {owner_id: "Closer"},
         where: {expr: "\"Closer\" is not null"}}

A column mapping may carry `values:` (export value -> canonical code, matched after trim, ignoring
case) and `default:` (the code of any other non-empty value, or null), checked here against the
canonical column's `values:`.

Names and types come from canonical.yml only, so every configuration yields the same raw tables.
A canonical table no configuration declares is still created (empty), so dbt always finds it.
"""

from __future__ import annotations

import codecs
import difflib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from . import expressions

HERE = Path(__file__).parent
DEFAULT_CONFIG = HERE / "sources.yml"
CANONICAL_SCHEMA = HERE / "canonical.yml"
PRESETS_DIR = HERE / "presets"
CONFIG_ENV = "MOT_SOURCES_CONFIG"

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
FORMATS = {"csv", "ndjson", "parquet"}
EXTRA_POLICIES = {"keep", "drop"}
TABLE_KEYS = {"files", "format", "columns", "csv", "extra", "timestamp_formats", "date_formats", "description",
              "name", "where", "delivery"}
# How a table's exports arrive. append (the default): every file the glob matches is part of the
# table (daily shards, several exports of one table). snapshot: each delivery is the whole table,
# so the newest file a mapping matches (by the date in its name, then its modification time)
# replaces the others. Either way a file that leaves the landing folder takes its rows with it.
DELIVERIES = ("append", "snapshot")
COLUMN_KEYS = {"from", "expr", "type", "required", "description", "values", "default"}
CANONICAL_KEYS = {"type", "required", "values", "fallback", "key", "pii", "description"}
CSV_KEYS = {"delimiter", "quote", "escape", "encoding", "skip_rows_after_header"}
DEFAULT_TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f",
)
DEFAULT_DATE_FORMATS = ("%Y-%m-%d",)
# A table no configuration declares keeps an empty raw table; this glob matches no export.
NOT_CONFIGURED = "(not configured)"
NAMED_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


class ConfigError(ValueError):
    """A source configuration says something the loader cannot act on."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    source: str | None  # the export's column (CSV header, JSON path or param:<key>); None: not mapped
    type: str
    required: bool
    expr: str | None = None
    # export value (trimmed, lower case) -> canonical code (None: no value); None when not mapped
    values: tuple[tuple[str, str | None], ...] | None = None
    has_default: bool = False  # other non-empty values become `default` (else they pass through)
    default: str | None = None
    allowed: tuple[str, ...] | None = None  # canonical codes (canonical.yml `values:`)
    fallback: str | None = None  # the canonical column staging uses when this one is NULL
    key: bool = False  # the table's declared row id (duplicates are counted, never dropped)

    @property
    def mapped(self) -> bool:
        return self.source is not None or self.expr is not None

    @property
    def inputs(self) -> tuple[str, ...]:
        """The export columns this canonical column reads."""
        if self.expr is not None:
            return expressions.columns_of(self.expr)
        return (self.source,) if self.source is not None else ()

    @property
    def described(self) -> str:
        return f"expr {self.expr!r}" if self.expr is not None else repr(self.source)


@dataclass(frozen=True)
class CsvOptions:
    delimiter: str = ","
    quote: str | None = '"'
    escape: str | None = None
    encoding: str = "utf-8"
    skip_rows_after_header: int = 0  # e.g. Qualtrics' question-text and ImportId rows


@dataclass(frozen=True)
class TableSpec:
    source: str
    name: str
    files: str  # glob under the landing folder; NOT_CONFIGURED when no configuration declares the table
    format: str
    timezone: str
    columns: tuple[ColumnSpec, ...]
    csv: CsvOptions = field(default_factory=CsvOptions)
    extra: str = "keep"
    timestamp_formats: tuple[str, ...] = DEFAULT_TIMESTAMP_FORMATS
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    origin: str = str(DEFAULT_CONFIG)  # the file (and preset) the mapping comes from
    mapping_name: str | None = None  # set when the table is a list of mappings; part of the load identity
    where: str | None = None  # an expression: rows where it is not true are skipped (counted, not loaded)
    alternatives: tuple["TableSpec", ...] = ()  # the table's other mappings (a list in the configuration)
    delivery: str = "append"  # see DELIVERIES

    @property
    def configured(self) -> bool:
        return self.files != NOT_CONFIGURED

    @property
    def raw_table(self) -> str:
        return f"{self.source}_{self.name}"

    @property
    def mappings(self) -> tuple["TableSpec", ...]:
        """Every mapping of this canonical table: this one and its alternatives."""
        return (self, *self.alternatives)

    @property
    def key(self) -> str:
        """The table's key in a configuration file, with the mapping's name when it has one."""
        named = f"[name={self.mapping_name}]" if self.mapping_name is not None else ""
        return f"sources.{self.source}.tables.{self.name}{named}"

    @property
    def mapping(self) -> str:
        """Where a user edits this table's column mapping (for error messages)."""
        return f"{self.key}.columns in {self.origin}"

    def column_key(self, column: str) -> str:
        return f"{self.key}.columns.{column}"

    def landing_files(self, landing_dir: Path) -> list[Path]:
        """The files every mapping of the table reads, each once, sorted."""
        if not self.configured:
            return []
        landing = Path(landing_dir)
        root = landing.resolve()
        # A symbolic link inside the landing folder that points outside it is not read: the folder
        # is the one place exports come from.
        return sorted({p for m in self.mappings for p in landing.glob(m.files)
                       if p.is_file() and p.resolve().is_relative_to(root) and _utf8_name(p)})

    def odd_entries(self, landing_dir: Path) -> list[tuple[str, str, bool]]:
        """What the table's globs match that landing_files does not read, as (name, why, refused):
        a symbolic link leading out of the landing folder, a dangling or looping link and a name
        that is not UTF-8 are refused (a person must look); a directory is only noted."""
        if not self.configured:
            return []
        landing = Path(landing_dir)
        root = landing.resolve()
        found = {}
        for mapping in self.mappings:
            key = f"files: {mapping.files!r} of {mapping.key} in {mapping.origin}"
            for path in landing.glob(mapping.files):
                name = path.relative_to(landing).as_posix()
                shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                if shown != name:
                    found[name] = (shown, f"the file name is not UTF-8 ({shown!r}); rename it ({key})", True)
                    continue
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError) as exc:  # dangling link, or a loop of links
                    cause = getattr(exc, "strerror", None) or str(exc)
                    found[name] = (name, f"a symbolic link that leads nowhere ({cause}); not read ({key})", True)
                    continue
                if not target.is_relative_to(root):
                    found[name] = (name, f"a symbolic link to {target}, outside the landing folder {root}; not read "
                                         f"({key})", True)
                elif target.is_dir():
                    found[name] = (name, f"a directory, not a file; not read ({key})", False)
        return sorted(found.values())

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every export column the mapping reads: in its columns and in its `where:`."""
        names = [name for c in self.columns for name in c.inputs]
        names += expressions.columns_of(self.where) if self.where is not None else ()
        return tuple(dict.fromkeys(names))

    @property
    def precision_columns(self) -> list[str]:
        return [f"{c.name}_precision" for c in self.columns if c.type == "timestamp"]


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes of the name, kept as surrogates by the file system API
        return False
    return True


def config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def canonical_schema(path: Path = CANONICAL_SCHEMA) -> dict[str, dict[str, dict]]:
    tables = yaml.safe_load(path.read_text())["tables"]
    for table, columns in tables.items():
        for column, canon in columns.items():
            where = f"{path}: {table}.{column}"
            if set(canon) - CANONICAL_KEYS:
                raise ConfigError(f"{where}: unknown key(s) {sorted(set(canon) - CANONICAL_KEYS)}")
            if canon.get("type") not in RAW_TYPES:
                raise ConfigError(f"{where}.type: {canon.get('type')!r} is not one of {sorted(RAW_TYPES)}")
            if canon.get("fallback") is not None and canon["fallback"] not in columns:
                raise ConfigError(f"{where}.fallback: {canon['fallback']!r} is not a column of {table}")
    return tables


def pii_columns(path: Path = CANONICAL_SCHEMA) -> dict[str, frozenset[str]]:
    """Raw table -> its columns declared `pii: true` in the canonical schema (names, e-mails, phones):
    what every sample row shown to a person (gate reports, check metadata, Data Docs) masks."""
    return {
        table.replace(".", "_"): frozenset(column for column, canon in columns.items() if canon.get("pii"))
        for table, columns in canonical_schema(path).items()
    }


def load_config(path: Path | str | None = None) -> list[TableSpec]:
    """Every canonical raw table, as the configuration at `path` (default: $MOT_SOURCES_CONFIG or
    the shipped sources.yml) maps it."""
    path = Path(path) if path is not None else config_path()
    document = _read(path)
    declared = _declared_tables(path, document)
    timezones = {}
    for source, doc in declared["sources"].items():
        timezone = doc.get("timezone", "UTC")
        try:
            ZoneInfo(str(timezone))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"{path}: sources.{source}.timezone: unknown time zone {timezone!r}") from exc
        timezones[source] = str(timezone)

    canonical = canonical_schema()
    for key, (_doc, origin) in declared["tables"].items():
        if key not in canonical:
            raise ConfigError(
                f"{origin}: sources.{key.replace('.', '.tables.', 1)}: not a canonical raw table; "
                f"canonical tables are {', '.join(sorted(canonical))} (see {CANONICAL_SCHEMA.name})"
            )
    if not declared["tables"]:
        raise ConfigError(f"{path}: no tables declared")
    specs = []
    for key, columns in canonical.items():
        source, name = key.split(".")
        timezone = timezones.get(source, "UTC")
        if key in declared["tables"]:
            doc, origin = declared["tables"][key]
            specs.append(_table_mappings(source, name, timezone, doc, columns, origin))
        else:
            specs.append(TableSpec(source, name, NOT_CONFIGURED, "csv", timezone, tuple(
                _unmapped(c, s) for c, s in columns.items()
            ), origin=f"{path} (not declared)"))
    return specs


def _unmapped(name: str, canon: dict) -> ColumnSpec:
    return ColumnSpec(name, None, canon["type"], bool(canon.get("required", False)),
                      allowed=_allowed(canon), fallback=canon.get("fallback"), key=bool(canon.get("key", False)))


def _allowed(canon: dict) -> tuple[str, ...] | None:
    return tuple(str(v) for v in canon["values"]) if canon.get("values") else None


def _table_mappings(source: str, name: str, timezone: str, doc, canonical: dict, origin: str) -> TableSpec:
    """One mapping, or a list of named mappings of one canonical table: the first carries the others."""
    if isinstance(doc, dict):
        if "name" in doc:
            raise ConfigError(f"{origin}: sources.{source}.tables.{name}.name: only a mapping in a list has a "
                              f"name (write the table as a list of mappings to feed it several ways)")
        return _table(source, name, timezone, doc, canonical, origin)
    where = f"{origin}: sources.{source}.tables.{name}"
    if not doc:
        raise ConfigError(f"{where}: an empty list; give one mapping, or a list of named mappings")
    specs, seen = [], set()
    for i, item in enumerate(doc):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise ConfigError(f"{where}[{i}]: each mapping in a list needs a `name:` (unique within the table)")
        if item["name"] in seen:
            raise ConfigError(f"{where}[{i}].name: {item['name']!r} is used twice; mapping names must be unique")
        seen.add(item["name"])
        specs.append(_table(source, name, timezone, item, canonical, origin, mapping_name=item["name"]))
    first, *rest = specs
    return replace(first, alternatives=tuple(rest))


def _read(path: Path) -> dict:
    try:
        document = yaml.safe_load(Path(path).read_text())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise ConfigError(_not_found(Path(path))) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("sources", {}), dict) \
            or not (document.get("sources") or document.get("use")):
        raise ConfigError(f"{path}: expected a top-level 'sources:' mapping (and/or 'use:' presets)")
    unknown = set(document) - {"sources", "use", "description"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s) {sorted(unknown)}; expected 'use' and 'sources'")
    return document


def _not_found(path: Path) -> str:
    """Where a missing configuration was looked for, and the YAML files of that folder it may have meant."""
    folder = path.absolute().parent
    if not folder.is_dir():
        return f"{path}: no such source configuration (looked in {folder}, which is not a folder)"
    names = sorted(p.name for p in folder.iterdir() if p.suffix in (".yml", ".yaml"))
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.5)
    hint = (f"; did you mean {', '.join(map(repr, close))}?" if close
            else f"; YAML files there: {', '.join(names[:10])}" if names else "; it holds no YAML files")
    return f"{path}: no such source configuration (looked in {folder}){hint}"


def preset_path(name: str, relative_to: Path) -> Path:
    candidates = [PRESETS_DIR / f"{name}.yml", relative_to.parent / name, Path(name)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    available = sorted(p.stem for p in PRESETS_DIR.glob("*.yml"))
    raise ConfigError(f"{relative_to}: use: no preset {name!r}; presets are {', '.join(available)} (or a file path)")


def _declared_tables(path: Path, document: dict) -> dict:
    """Merge the presets named in `use:` and the file's own `sources:`; remember who said what."""
    sources: dict[str, dict] = {}
    tables: dict[str, tuple[dict, str]] = {}
    use = document.get("use") or []
    if isinstance(use, str):
        use = [use]
    for name in use:
        preset = preset_path(str(name), path)
        preset_doc = _read(preset)
        for source, source_doc in _sources_of(preset, preset_doc).items():
            for table, table_doc in (source_doc.get("tables") or {}).items():
                key = f"{source}.{table}"
                if key in tables:
                    raise ConfigError(
                        f"{path}: use: presets {tables[key][1]} and {preset} both declare {key}; "
                        f"keep one, or declare sources.{source}.tables.{table} yourself"
                    )
                tables[key] = (table_doc, f"{preset} (preset {name}, used by {path})")
            sources.setdefault(source, {}).update({k: v for k, v in source_doc.items() if k != "tables"})
    for source, source_doc in _sources_of(path, document).items():
        for table, table_doc in (source_doc.get("tables") or {}).items():
            key = f"{source}.{table}"
            if key in tables and isinstance(tables[key][0], dict) and isinstance(table_doc, dict):
                base, origin = tables[key]
                merged = {**base, **table_doc}
                if isinstance(base.get("columns"), dict) and isinstance(table_doc.get("columns"), dict):
                    merged["columns"] = {**base["columns"], **table_doc["columns"]}
                if isinstance(base.get("csv"), dict) and isinstance(table_doc.get("csv"), dict):
                    merged["csv"] = {**base["csv"], **table_doc["csv"]}
                tables[key] = (merged, f"{path} (over {origin})")
            else:  # a list of mappings replaces the preset's table whole: mappings have no common key
                tables[key] = (table_doc, str(path))
        sources.setdefault(source, {}).update({k: v for k, v in source_doc.items() if k != "tables"})
    return {"sources": sources, "tables": tables}


def _sources_of(path: Path, document: dict) -> dict:
    sources = document.get("sources") or {}
    for source, source_doc in sources.items():
        if not isinstance(source_doc, dict):
            raise ConfigError(f"{path}: sources.{source}: expected a mapping with 'timezone' and 'tables'")
        unknown = set(source_doc) - {"timezone", "tables", "description"}
        if unknown:
            raise ConfigError(f"{path}: sources.{source}: unknown key(s) {sorted(unknown)}")
        for table, table_doc in (source_doc.get("tables") or {}).items():
            if isinstance(table_doc, list) and table_doc and all(isinstance(item, dict) for item in table_doc):
                continue  # several named mappings of one table, checked with the table
            if not isinstance(table_doc, dict):
                raise ConfigError(f"{path}: sources.{source}.tables.{table}: expected a mapping "
                                  f"(or a list of mappings, each with a `name:`)")
    return sources


def _check_files_pattern(where: str, pattern: str) -> None:
    """A `files:` glob names files inside the landing folder: relative, and never through `..`."""
    parts = PurePosixPath(pattern.replace("\\", "/")).parts
    if pattern.startswith(("/", "\\", "~")) or (len(pattern) > 1 and pattern[1] == ":"):
        raise ConfigError(f"{where}: {pattern!r} is absolute; write it relative to the landing folder "
                          f"(e.g. crm/contacts*.csv)")
    if ".." in parts:
        raise ConfigError(f"{where}: {pattern!r} leaves the landing folder ('..'); write it relative to the "
                          f"landing folder, below it")


def _table(source: str, name: str, timezone: str, doc: dict, canonical: dict, origin: str,
           mapping_name: str | None = None) -> TableSpec:
    named = f"[name={mapping_name}]" if mapping_name is not None else ""
    where = f"{origin}: sources.{source}.tables.{name}{named}"
    unknown = set(doc) - TABLE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(TABLE_KEYS)}")
    for key in ("files", "format", "columns"):
        if key not in doc:
            raise ConfigError(f"{where}: missing '{key}'")
    if doc["format"] not in FORMATS:
        raise ConfigError(f"{where}.format: {doc['format']!r} is not one of {sorted(FORMATS)}")
    _check_files_pattern(f"{where}.files", str(doc["files"]))
    if not isinstance(doc["columns"], dict):
        raise ConfigError(f"{where}.columns: expected a mapping canonical_column: export column")
    columns = []
    for column, spec in doc["columns"].items():
        if column not in canonical:
            raise ConfigError(
                f"{where}.columns.{column}: not a canonical column of {source}.{name}; "
                f"canonical columns are {', '.join(canonical)}"
            )
    for column, canon in canonical.items():
        required = bool(canon.get("required", False))
        spec = doc["columns"].get(column)
        fallback = canon.get("fallback")
        if spec is None:
            if required and not (fallback and doc["columns"].get(fallback) is not None):
                also = f" (or map its fallback {fallback})" if fallback else ""
                raise ConfigError(
                    f"{where}.columns.{column}: required canonical column has no mapping; "
                    f"map it with `{column}: <export column>` or `{column}: {{expr: ...}}`{also}"
                )
            # left unmapped: NULL in raw; a required column with a mapped fallback stays required
            # so that a row without either value is still quarantined
            columns.append(_unmapped(column, canon))
            continue
        columns.append(_column(f"{where}.columns.{column}", column, spec, canon, required))
    where_expr = _where(f"{where}.where", doc.get("where"))
    delivery = doc.get("delivery", "append")
    if delivery not in DELIVERIES:
        raise ConfigError(f"{where}.delivery: {delivery!r} is not one of {list(DELIVERIES)}")
    extra = doc.get("extra", "keep" if doc["format"] == "csv" else "drop")
    if extra not in EXTRA_POLICIES:
        raise ConfigError(f"{where}.extra: {extra!r} is not one of {sorted(EXTRA_POLICIES)}")
    return TableSpec(
        source=source,
        name=name,
        files=str(doc["files"]),
        format=doc["format"],
        timezone=timezone,
        columns=tuple(columns),
        csv=_csv_options(f"{where}.csv", doc.get("csv") or {}),
        extra=extra,
        timestamp_formats=_formats(f"{where}.timestamp_formats", doc.get("timestamp_formats"), DEFAULT_TIMESTAMP_FORMATS),
        date_formats=_formats(f"{where}.date_formats", doc.get("date_formats"), DEFAULT_DATE_FORMATS),
        origin=origin,
        mapping_name=mapping_name,
        where=where_expr,
        delivery=delivery,
    )


def _where(where: str, doc) -> str | None:
    """`where: {expr: ...}`: which rows the mapping loads; a row where it is not true is skipped."""
    if doc is None:
        return None
    if not isinstance(doc, dict) or set(doc) != {"expr"}:
        raise ConfigError(f"{where}: expected {{expr: <condition over the export's columns>}}")
    expr = str(doc["expr"])
    try:
        expressions.check(expr, condition=True)
    except expressions.ExpressionError as exc:
        raise ConfigError(f"{where}.expr: {exc}") from exc
    return expr


def _column(where: str, name: str, spec, canon: dict, required: bool) -> ColumnSpec:
    canonical_type = canon["type"]
    common = {"allowed": _allowed(canon), "fallback": canon.get("fallback"), "key": bool(canon.get("key", False))}
    if isinstance(spec, str):
        return ColumnSpec(name, spec, canonical_type, required, **common)
    if not isinstance(spec, dict) or ("from" in spec) == ("expr" in spec):
        raise ConfigError(f"{where}: needs a 'from:' naming the export's column, or an 'expr:' (one of the two)")
    unknown = set(spec) - COLUMN_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    if "type" in spec and spec["type"] != canonical_type:
        kind = "is not one of " + str(sorted(RAW_TYPES)) if spec["type"] not in RAW_TYPES else "differs from"
        raise ConfigError(
            f"{where}.type: {spec['type']!r} {kind} the canonical type {canonical_type!r} "
            f"(types are fixed by {CANONICAL_SCHEMA.name}; leave 'type' out)"
        )
    if "required" in spec and bool(spec["required"]) != required:
        raise ConfigError(f"{where}.required: fixed to {required} by {CANONICAL_SCHEMA.name}; leave it out")
    common.update(_value_map(where, spec, common["allowed"]))
    if "expr" in spec:
        expr = str(spec["expr"])
        try:
            expressions.check(expr)
        except expressions.ExpressionError as exc:
            raise ConfigError(f"{where}.expr: {exc}") from exc
        return ColumnSpec(name, None, canonical_type, required, expr, **common)
    return ColumnSpec(name, str(spec["from"]), canonical_type, required, **common)


def _value_map(where: str, spec: dict, allowed: tuple[str, ...] | None) -> dict:
    """`values:` and `default:` of a column mapping, every code checked against the canonical codes."""
    if "values" not in spec and "default" not in spec:
        return {}
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{where}.values: expected a mapping export value: canonical code")

    def code(key: str, value):
        if value is None:
            return None
        value = str(value)
        if allowed is not None and value not in allowed:
            close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}.{key}: {value!r} is not a canonical code{hint}; allowed: "
                              f"{', '.join(allowed)} (or null)")
        return value

    mapped: dict[str, str | None] = {}
    for export_value, target in values.items():
        normal = str(export_value).strip().lower()
        if normal in mapped and mapped[normal] != code(f"values.{export_value}", target):
            raise ConfigError(f"{where}.values: {export_value!r} and another key are the same value after trim "
                              f"and ignoring case, with different codes")
        mapped[normal] = code(f"values.{export_value}", target)
    result = {"values": tuple(mapped.items())}
    if "default" in spec:
        result.update(has_default=True, default=code("default", spec["default"]))
    return result


def _csv_options(where: str, doc: dict) -> CsvOptions:
    unknown = set(doc) - CSV_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(CSV_KEYS)}")
    delimiter = NAMED_DELIMITERS.get(str(doc.get("delimiter", ",")), str(doc.get("delimiter", ",")))
    if len(delimiter) != 1:
        raise ConfigError(f"{where}.delimiter: {doc['delimiter']!r} must be one character (or tab/semicolon/pipe)")
    quote = doc.get("quote", '"')
    if quote is not None and (not isinstance(quote, str) or len(quote) != 1):
        raise ConfigError(f"{where}.quote: {quote!r} must be one character, or null for no quoting")
    escape = doc.get("escape")
    if escape is not None and (not isinstance(escape, str) or len(escape) != 1):
        raise ConfigError(f"{where}.escape: {escape!r} must be one character, or null (quotes doubled)")
    encoding = str(doc.get("encoding", "utf-8"))
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise ConfigError(f"{where}.encoding: unknown encoding {encoding!r}") from exc
    skip = doc.get("skip_rows_after_header", 0)
    if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
        raise ConfigError(f"{where}.skip_rows_after_header: {skip!r} must be a whole number >= 0")
    return CsvOptions(delimiter, quote, escape, encoding, skip)


def _formats(where: str, value, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and "%" in v for v in value):
        raise ConfigError(f"{where}: expected a list of strptime formats such as '%m/%d/%Y %H:%M'")
    return tuple(dict.fromkeys([*value, *default]))  # the table's own formats are tried first
