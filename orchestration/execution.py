"""Moved to orchestration/defs/execution.py (the Dagster wiring); this name stays for older imports."""

from .defs import execution as _moved
from .defs.execution import *  # noqa: F401,F403


def __getattr__(name: str):
    return getattr(_moved, name)
