"""The dbt project at the repository root, as dagster-dbt sees it."""

from __future__ import annotations

import os

from dagster_dbt import DbtProject

from .settings import PROJECT_DIR

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
