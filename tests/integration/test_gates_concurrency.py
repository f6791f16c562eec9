"""A BI reader looping on the published file while it is republished: no lock error, never a mix.

Two different versions of the marts are published in turn (the second holds half the rows of
every table). A separate reader process opens the file read-only again and again; on each
connection every table's row count must match the publish record (table comments) of that same file, and the
manifest must name one run only. Reading one table from the old version and another from the
new one would break that.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import duckdb

from orchestration.publish import publish_marts
from orchestration.settings import PROJECT_DIR

READER = """
import json, sys, time
from pathlib import Path
import duckdb
from orchestration.publish import publish_manifest
published, stop = Path(sys.argv[1]), Path(sys.argv[2])
reads, versions, errors = 0, set(), []
while not stop.exists():
    try:
        with duckdb.connect(str(published), read_only=True) as bi:
            manifest = [(t, e["rows"], e["run_id"]) for t, e in publish_manifest(bi).items()]
            runs = {run for _, _, run in manifest}
            if not manifest:
                errors.append("no publish manifest")
            if len(runs) != 1:
                errors.append(f"manifest names {runs}")
            for table, rows, _ in manifest:
                seen = bi.execute(f'select count(*) from "{table}"').fetchone()[0]
                if seen != rows:
                    errors.append(f"{table}: {seen} rows, manifest of run {runs} says {rows}")
            versions |= runs
            reads += 1
    except Exception as exc:  # a lock error or a torn file would land here
        errors.append(f"{type(exc).__name__}: {exc}")
print(json.dumps({"reads": reads, "versions": sorted(versions), "errors": errors[:20]}))
"""


def test_a_reader_never_sees_a_lock_error_or_a_mix_of_versions(baseline, tmp_path):
    full, half = tmp_path / "full.duckdb", tmp_path / "half.duckdb"
    shutil.copy2(baseline.warehouse, full)
    shutil.copy2(baseline.warehouse, half)
    with duckdb.connect(str(half)) as conn:
        for (table,) in conn.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall():
            conn.execute(f"delete from marts.{table} where rowid % 2 = 0")
    published, stop = tmp_path / "bi" / "marts.duckdb", tmp_path / "stop"
    publish_marts(full, published, run_id="version-0")
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published), str(stop)], cwd=PROJECT_DIR,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)  # the reader is up and looping before the first republish
        publishes = 12
        for n in range(1, publishes + 1):
            publish_marts(half if n % 2 else full, published, run_id=f"version-{n}")
            time.sleep(0.05)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err[-3000:]
    seen = json.loads(out)
    assert seen["errors"] == []
    assert seen["reads"] >= publishes
    assert len(seen["versions"]) >= 3, seen  # it really read while versions changed under it
