"""The dbt project's manifest: written by `mot parse` only, required by everything else.

Plain Python (dagster-dbt's view of the project is in defs/resources.py). `mot parse` (`make
parse`, which `make run/test/dev` call first) runs `dbt parse`; loading the definitions reads the
manifest and never runs dbt. dbt itself is the one installed beside this interpreter, named by its
path, so the virtual environment works without being activated and nothing rewrites PATH.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .settings import PROJECT_DIR, Settings

DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
# What a night runs instead (orchestration/dbt_launcher.py): dbt that ends when the night does.
DBT_LAUNCHER = str(Path(sys.executable).parent / "mot-dbt")


class ManifestMissing(Exception):
    """The definitions need a dbt manifest, and `mot parse` has not written one."""


def require_manifest(settings: Settings) -> Path:
    if not settings.manifest_path.exists():
        raise ManifestMissing(f"no dbt manifest at {settings.manifest_path}: run `mot parse` (or `make parse`) first")
    return settings.manifest_path


def parse(settings: Settings) -> Path:
    """`dbt parse` into the target folder (what `mot parse` runs); raises with dbt's output on failure."""
    settings.export()
    completed = subprocess.run(
        [DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target", settings.dbt_target, "--target-path", str(settings.dbt_target_dir)],
        cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout[-4000:]}{completed.stderr[-4000:]}")
    return require_manifest(settings)

