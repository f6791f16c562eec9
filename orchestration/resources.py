"""Moved to orchestration/defs/resources.py (the Dagster wiring); this name stays for older imports."""

from .defs import resources as _moved
from .defs.resources import *  # noqa: F401,F403


def __getattr__(name: str):
    return getattr(_moved, name)
