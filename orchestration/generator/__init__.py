"""Deterministic sample exports (CRM, GA4 web events, surveys, reviews) with planted effects,
planted dirt and a truth.json of what the warehouse should find."""

from .core import generate
from .params import BUCKETS, Planted, Team

__all__ = ["BUCKETS", "Planted", "Team", "generate"]
