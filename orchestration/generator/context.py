"""Run-wide constants shared by the generator's steps."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from .params import Planted

DAY = 86400


@dataclass(frozen=True)
class Ctx:
    scale: float
    seed: int
    start: date
    days: int
    planted: Planted

    @property
    def start_s(self) -> int:
        """Window start, epoch seconds (midnight UTC of `start`)."""
        return calendar.timegm(self.start.timetuple())

    @property
    def end_s(self) -> int:
        """Window end, exclusive: the as-of time. Nothing at or after it is written."""
        return self.start_s + self.days * DAY

    @property
    def n_prospects(self) -> int:
        return max(1, round(10_000 * self.scale))

    @property
    def n_referred_target(self) -> int:
        return round(self.n_prospects * self.planted.referred_share)

    @property
    def n_base(self) -> int:
        """Leads that are not referrals (ids 0 .. n_base-1); referred leads follow them."""
        return self.n_prospects - self.n_referred_target

    @property
    def n_anonymous(self) -> int:
        return round(self.n_prospects * self.planted.anonymous_visitors_per_prospect)
