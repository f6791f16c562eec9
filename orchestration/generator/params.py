"""Planted parameters: the effects the sample data carries and the marts must recover."""

from __future__ import annotations

from dataclasses import dataclass, field

# (label, lower, upper) seconds from zmot to the first response attempt, as in
# seeds/response_time_buckets.csv; `5 >24h` is open-ended there, the generator stops at 7 days.
BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("1 <5m", 0, 300),
    ("2 5-60m", 300, 3600),
    ("3 1-2h", 3600, 7200),
    ("4 2-24h", 7200, 86400),
    ("5 >24h", 86400, 7 * 86400),
    ("6 never", None, None),
)
NEVER = len(BUCKETS) - 1
WITHIN_1H = (0, 1)  # the buckets answered within one hour: the "fast" arm of the adjusted ratios
ARRIVAL_TIME_ZONE = "America/New_York"  # as var working_hours_time_zone
BUSINESS_HOURS = (9, 17)  # local hours [open, close) on ISO weekdays 1-5, as the working_hours seed


@dataclass(frozen=True)
class Team:
    name: str
    share: float  # of leads (contact owners come from this team)
    proposal_rate: float  # deal reaches presentationscheduled (invitation to tender)
    win_rate: float  # closedwon among deals that reached presentationscheduled
    hours_per_good_lead: float  # outreach hours logged per lead reaching fmot


@dataclass(frozen=True)
class Planted:
    # Share of leads per response-time bucket, in BUCKETS order (realized shares drift towards
    # `never` for leads too young at the as-of time to be answered in their planted bucket).
    bucket_mix: tuple[float, ...] = (0.15, 0.30, 0.15, 0.20, 0.12, 0.08)
    p_fmot_lt_5m: float = 0.42
    p_fmot_5_60m: float = 0.33
    p_fmot_2_24h: float = 0.03
    # HBR 2011: answered within 1 h ~7x as likely to qualify as at 1-2 h, ~60x as after 24 h.
    within_1h_over_1_2h: float = 7.0
    within_1h_over_gt_24h: float = 60.0
    # Confounding of speed to lead: the leads answered fast are also the ones that convert anyway.
    # P(fmot) = p_fmot[bucket] x the source's factor x the arrival's factor, so the rate ratio of
    # two buckets is the planted one inside every stratum (what Mantel-Haenszel estimates), while
    # the within-1-h buckets' weights are multiplied by the speed factors (then renormalised), so
    # high-intent sources and business-hours arrivals are answered fast more often and the crude
    # ratio overstates the effect. Arrival: the zmot's local time in ARRIVAL_TIME_ZONE, weekday
    # inside BUSINESS_HOURS, weekday outside them, or weekend (the working_hours seed's rule).
    fmot_factor_by_source: tuple[tuple[str, float], ...] = (
        ("PAID_SEARCH", 1.5), ("DIRECT_TRAFFIC", 1.6), ("REFERRALS", 1.6), ("ORGANIC_SEARCH", 1.0),
        ("EMAIL_MARKETING", 0.8), ("PAID_SOCIAL", 0.55), ("OFFLINE_SOURCES", 0.8),
    )
    fmot_factor_by_arrival: tuple[tuple[str, float], ...] = (
        ("business_hours", 1.4), ("weekday_off_hours", 0.9), ("weekend", 0.75),
    )
    speed_factor_by_source: tuple[tuple[str, float], ...] = (
        ("PAID_SEARCH", 1.8), ("DIRECT_TRAFFIC", 1.8), ("REFERRALS", 1.8), ("ORGANIC_SEARCH", 0.7),
        ("EMAIL_MARKETING", 0.7), ("PAID_SOCIAL", 0.7), ("OFFLINE_SOURCES", 0.7),
    )
    speed_factor_by_arrival: tuple[tuple[str, float], ...] = (
        ("business_hours", 2.5), ("weekday_off_hours", 0.8), ("weekend", 0.5),
    )

    # Original Source of non-referred leads; OFFLINE_SOURCES leads have no web events.
    channel_mix: tuple[tuple[str, float], ...] = (
        ("PAID_SEARCH", 0.25),
        ("PAID_SOCIAL", 0.20),
        ("EMAIL_MARKETING", 0.10),
        ("ORGANIC_SEARCH", 0.25),
        ("DIRECT_TRAFFIC", 0.10),
        ("OFFLINE_SOURCES", 0.10),
    )
    contact_method_mix: tuple[tuple[str, float], ...] = (("phone", 0.50), ("email", 0.35), ("meeting", 0.15))
    email_instead_of_call: float = 0.30  # phone-requesting answered leads first answered by EMAIL
    unqualified_first_responder: float = 0.10  # first attempt by Front Desk / Intern

    teams: tuple[Team, ...] = (
        Team("Inbound East", 0.40, proposal_rate=0.50, win_rate=0.38, hours_per_good_lead=21.0),
        Team("Inbound West", 0.40, proposal_rate=0.75, win_rate=0.80, hours_per_good_lead=10.0),
        Team("Enterprise", 0.20, proposal_rate=0.60, win_rate=0.55, hours_per_good_lead=15.5),
    )
    deal_rate: float = 0.60  # fmot leads that get a deal

    # NPS planted per monthly zmot cohort (month 1, 2, ...; the last value repeats).
    nps_by_cohort: tuple[float, ...] = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0)
    nps_passive_share: float = 0.25
    nps_response_rate: float = 0.80
    csat_response_rate: float = 0.30
    review_share_promoters: float = 0.40
    review_share_passives: float = 0.05
    # "26.1 % of dissatisfied consumers leave negative reviews": a detractor's review is 1-2 stars.
    review_share_detractors: float = 0.261
    referred_share: float = 0.01  # of prospects: referred by a customer (rmot of the referrer)

    # The public rating (cumulative average stars) as a prospect saw it on the day of its zmot:
    # the path it is steered along, as (day of the window, rating at that day's start) points,
    # linear in between; reviews by authors outside the CRM (earlier customers) carry it.
    rating_path: tuple[tuple[int, float], ...] = (
        (0, 4.45), (27, 4.45), (30, 4.15), (57, 4.15), (60, 3.85), (120, 3.85), (181, 3.92),
    )
    rating_bands: tuple[tuple[str, float | None, float | None], ...] = (
        ("1 <4.0", None, 4.0), ("2 4.0-4.3", 4.0, 4.3), ("3 >=4.3", 4.3, None),
    )
    public_reviews_per_day: float = 4.0  # at scale 1, by unknown authors
    # Effect of the band in force at zmot on P(fmot), relative to the top band (the source's
    # "rating above 4.3 stars" condition at the first moment of truth); purchase follows through
    # fmot. A prospect who inquired before any review (no rating) gets `unrated`. Multipliers are
    # normalised so the average over the window's days is 1: the speed-to-lead rates stay as planted.
    band_fmot_relative: tuple[float, ...] = (0.6, 0.8, 1.0)
    unrated_fmot_relative: float = 0.8

    anonymous_visitors_per_prospect: float = 1.5
    # Dirt.
    duplicate_engagements: float = 0.01
    duplicate_web_events: float = 0.005
    duplicate_contacts: float = 0.0005
    late_web_events: float = 0.002

    derived: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        assert len(self.bucket_mix) == len(BUCKETS) and abs(sum(self.bucket_mix) - 1) < 1e-9
        w1, w2 = self.bucket_mix[0], self.bucket_mix[1]
        within_1h = (w1 * self.p_fmot_lt_5m + w2 * self.p_fmot_5_60m) / (w1 + w2)
        p = (
            self.p_fmot_lt_5m,
            self.p_fmot_5_60m,
            within_1h / self.within_1h_over_1_2h,
            self.p_fmot_2_24h,
            within_1h / self.within_1h_over_gt_24h,
            0.0,
        )
        top = max(p) * max(f for _, f in self.fmot_factor_by_source) * max(f for _, f in self.fmot_factor_by_arrival)
        assert top <= 1, f"a stratum's P(fmot) would be {top:.3f}"
        object.__setattr__(self, "derived", {"p_fmot": p, "p_fmot_within_1h": within_1h})

    @property
    def p_fmot(self) -> tuple[float, ...]:
        """P(fmot | bucket) in BUCKETS order; 1-2h and 5 >24h follow from the planted ratios."""
        return self.derived["p_fmot"]
