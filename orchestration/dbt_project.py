"""The dbt project at the repository root, as dagster-dbt sees it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from .settings import PROJECT_DIR

# dagster-dbt looks `dbt` up on PATH, also when it parses the project: let that be the dbt installed
# beside this interpreter, so the virtual environment works without being activated.
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

dbt_project = DbtProject(
    project_dir=PROJECT_DIR,
    profiles_dir=PROJECT_DIR,
    target=os.environ.get("MOT_DBT_TARGET", "duckdb"),
)
# `dagster dev` re-parses on load; elsewhere the manifest is prepared ahead (`mot parse`).
dbt_project.prepare_if_dev()


def ensure_manifest(force: bool = False) -> None:
    """Parse the dbt project when no manifest exists yet (or when asked to)."""
    if force or not dbt_project.manifest_path.exists():
        dbt_project.preparer.prepare(dbt_project)
