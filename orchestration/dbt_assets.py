"""Moved to orchestration/defs/dbt.py (the Dagster wiring); this name stays for older imports."""

from .defs import dbt as _moved
from .defs.dbt import *  # noqa: F401,F403


def __getattr__(name: str):
    return getattr(_moved, name)
