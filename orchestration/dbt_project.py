"""The dbt project at the repository root, as dagster-dbt sees it: built on first use, never at import.

The manifest (target/manifest.json) is prepared by `mot parse` only (`make parse`, which `make
run/test/dev` call first); loading the definitions reads it and never runs dbt. dbt itself is the
one installed beside this interpreter, named by its path, so the virtual environment works without
being activated and nothing rewrites PATH.
"""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

from .settings import PROJECT_DIR, Settings

DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


class ManifestMissing(Exception):
    """The definitions need a dbt manifest, and `mot parse` has not written one."""


@cache
def dbt_project_for(target: str = "duckdb", target_dir: Path = PROJECT_DIR / "target"):
    from dagster_dbt import DbtProject

    return DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target=target, target_path=target_dir)


def project(settings: Settings):
    return dbt_project_for(settings.dbt_target, settings.dbt_target_dir)


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


def __getattr__(name: str):
    # `dbt_project`: the project with the default settings, for code that predates the factories.
    if name == "dbt_project":
        return project(Settings.from_env())
    raise AttributeError(name)
