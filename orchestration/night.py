"""Whether a night has anything to do: the landing folder exists, and something in it is new.

Plain Python (no Dagster): the CLI asks before it starts the job, holding the night lock, so the
answer cannot change under it. A landing folder that is missing is a mistake (a typo, an unmounted
share), never an empty night: it names the folder and nothing runs. A night whose every landing
file is already loaded, with those loads already published, says "no new data" and publishes
nothing, so BI keeps the very same file.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


class NightError(Exception):
    """A mistake a person can fix (a path, a configuration): one message, no traceback."""


def check_landing(landing_dir: Path) -> None:
    landing_dir = Path(landing_dir)
    if not landing_dir.is_dir():
        what = "is not a folder" if landing_dir.exists() else "does not exist"
        raise NightError(f"the landing folder {landing_dir} {what}: nothing was loaded or published "
                         "(pass --landing or set MOT_LANDING_DIR)")


def landing_files(specs, landing_dir: Path) -> list[tuple[str, str, Path]]:
    """(raw table, mapping fingerprint, file) for every landing file a configured table reads, with
    the mapping that reads it (a table may have several), as the loader pairs them."""
    from .ingestion.loader import current_delivery, mapping_fingerprint

    return [(mapping.raw_table, mapping_fingerprint(mapping), path)
            for spec in specs for mapping in spec.mappings
            for path in current_delivery(mapping, mapping.landing_files(landing_dir))[0]]


def _checksum(path: Path) -> str:
    """The file's checksum as the loader records it in the load log (one definition for both)."""
    from .ingestion.staging import file_facts

    return file_facts(path)[0]


def new_or_changed(specs, landing_dir: Path, warehouse_path: Path, published_path: Path) -> list[str]:
    """The landing files (relative names) this night would load, or a reason to run anyway.

    Empty means there is nothing to do: every file is in the load log with the same checksum and
    the same mapping (whatever became of it: loaded, unchanged, a duplicate, rejected) and the
    newest load is older than the published file. Anything unknown makes the list non-empty: a
    changed mapping or time zone reloads the files it reads (the loader's rule), so it is new too.
    """
    import duckdb  # late: DuckDB is not needed to load the definitions (schedules.py imports this module)

    landing_dir = Path(landing_dir)
    if not Path(published_path).exists():
        return ["(nothing published yet)"]
    if not Path(warehouse_path).exists():
        return ["(no warehouse yet)"]
    try:
        with duckdb.connect(str(warehouse_path), read_only=True) as wh:
            known = _load_log(wh)
            last_load = wh.execute(
                "select max(loaded_at) from ingest.load_log where status in ('loaded', 'replaced')").fetchone()[0]
            # files whose rows raw holds now: their latest load_log line loaded them
            held = set(wh.execute(
                """select raw_table, source_file from (
                       select raw_table, source_file, status,
                              row_number() over (partition by raw_table, mapping, source_file
                                                 order by loaded_at desc) as recency
                       from ingest.load_log where status in ('loaded', 'replaced', 'withdrawn'))
                   where recency = 1 and status <> 'withdrawn'""").fetchall())
        with duckdb.connect(str(published_path), read_only=True) as bi:
            published_at = bi.execute("select max(published_at) from publish_info").fetchone()[0]
    except duckdb.Error:
        return ["(no load log or publish record to compare with)"]
    if published_at is None or (last_load is not None and last_load > published_at):
        return ["(loaded data not yet published)"]
    files = landing_files(specs, landing_dir)
    present = {(table, path.relative_to(landing_dir).as_posix()) for table, _, path in files}
    tables_with_files = {table for table, _ in present}
    gone = sorted(name for table, name in held - present if table in tables_with_files)
    if gone:  # the loader withdraws their rows: the raw tables change
        return [f"(no longer part of the landing folder: {name})" for name in gone]
    return _not_in(known, files, landing_dir)


def not_yet_loaded(specs, landing_dir: Path, warehouse_path: Path, only: set[str] | None = None) -> list[str]:
    """The landing files (relative names; of `only`, when given) the warehouse's load log does not
    hold with the same checksum and mapping: what a load would actually read. Raises duckdb.Error
    when the warehouse cannot be read (a night holds it)."""
    import duckdb

    landing_dir = Path(landing_dir)
    files = [(table, fingerprint, path) for table, fingerprint, path in landing_files(specs, landing_dir)
             if only is None or path.relative_to(landing_dir).as_posix() in only]
    if not files or not Path(warehouse_path).exists():
        return sorted({path.relative_to(landing_dir).as_posix() for _, _, path in files})
    with duckdb.connect(str(warehouse_path), read_only=True) as wh:
        try:
            known = _load_log(wh)
        except duckdb.CatalogException:  # no load yet
            known = set()
    return _not_in(known, files, landing_dir)


def _load_log(wh) -> set[tuple]:
    return set(wh.execute("select raw_table, source_file, file_checksum, mapping_fingerprint from ingest.load_log")
               .fetchall())


def _not_in(known: set[tuple], files, landing_dir: Path) -> list[str]:
    with ThreadPoolExecutor(max_workers=4) as pool:  # hashlib releases the GIL
        checksums = list(pool.map(_checksum, [path for _, _, path in files]))
    return list(dict.fromkeys(
        path.relative_to(landing_dir).as_posix()
        for (table, fingerprint, path), checksum in zip(files, checksums)
        if (table, path.relative_to(landing_dir).as_posix(), checksum, fingerprint) not in known
    ))
