"""Moved to orchestration/defs/sensors.py (the Dagster wiring); this name stays for older imports."""

from .defs import sensors as _moved
from .defs.sensors import *  # noqa: F401,F403


def __getattr__(name: str):
    return getattr(_moved, name)
