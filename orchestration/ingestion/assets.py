"""Moved to orchestration/defs/ingestion.py (the Dagster wiring); this name stays for older imports."""

from ..defs import ingestion as _moved
from ..defs.ingestion import *  # noqa: F401,F403


def __getattr__(name: str):
    return getattr(_moved, name)
