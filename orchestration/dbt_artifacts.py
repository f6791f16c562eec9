"""What each dbt invocation of a night leaves in the target folder: its parse is kept for the next
night, and only the newest few invocation folders stay.

dagster-dbt runs dbt with a folder of its own under the target folder (`<step>-<run>-<uuid>`) and
seeds it with target/partial_parse.msgpack. That file is the one `mot parse` wrote; when the night's
profile differs from the one it was parsed with (another warehouse path or memory limit in the
environment, as under `make bench` or a daemon started from another shell), dbt throws it away and
parses the whole project again, night after night (~6 s per night on 2 cores). The folders
themselves (~20 MB of compiled SQL and logs each) were never removed: a year of nights is GBs.
Plain Python: no Dagster, no dbt.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PARTIAL_PARSE = "partial_parse.msgpack"
# Two weeks of nightly folders (compiled SQL, run_results.json, dbt.log) to look back at.
INVOCATION_FOLDERS_KEPT = 14


def keep_parse_and_prune(invocation_dir: Path, keep: int = INVOCATION_FOLDERS_KEPT) -> list[Path]:
    """After a dbt invocation in `invocation_dir` (a folder under the target folder): its partial
    parse becomes the target folder's, which the next invocation starts from (dbt itself checks
    that it still fits and parses again where not), and the invocation folders of the same step
    beyond the newest `keep` are removed. Returns the folders removed."""
    target_dir = invocation_dir.parent
    fresh = invocation_dir / PARTIAL_PARSE
    if fresh.is_file():
        # written aside and renamed: a night killed mid-copy leaves the old file, never half a file
        aside = target_dir / f".{PARTIAL_PARSE}.{os.getpid()}"
        shutil.copyfile(fresh, aside)
        os.replace(aside, target_dir / PARTIAL_PARSE)
    step = invocation_dir.name.split("-", 1)[0]
    siblings = [p for p in target_dir.iterdir()
                if p.is_dir() and p != invocation_dir and p.name.split("-", 1)[0] == step and "-" in p.name]
    siblings.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    removed = siblings[max(keep - 1, 0):]  # the invocation just run is one of the `keep`
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed
