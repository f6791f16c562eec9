"""Moved to orchestration/defs/checks.py (the Dagster wiring); this name stays for older imports."""

from .defs import checks as _moved
from .defs.checks import *  # noqa: F401,F403


def __getattr__(name: str):
    return getattr(_moved, name)
