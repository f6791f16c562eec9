"""The public rating: the planted rating path and its bands (read by the story for the band
effect on conversion), and the reviews by authors outside the CRM that steer the written
rating along that path around the customers' own reviews."""

from __future__ import annotations

import math
import random

import duckdb

from .context import DAY, Ctx
from .sql import lit, pick

PLATFORMS = (("Google", 0.5), ("Trustpilot", 0.3), ("G2", 0.2))
# Stars an unknown author gives when not steering: the spread a review page shows.
NATURAL_STARS = ((1, 0.10), (2, 0.06), (3, 0.10), (4, 0.27), (5, 0.47))
NATURAL_SHARE = 0.35  # of unknown reviews drawn from NATURAL_STARS; the rest steer
PUBLIC_IDX = 1_000_000_000  # row ids of unknown authors' reviews, apart from the leads'
TOLERANCE = 0.01  # the day ends with the rating this close to the path (where reviews allow)
MAX_EXTRA_PER_DAY = 400


def path_rating(ctx: Ctx, day: float) -> float:
    """The planted rating at the start of `day` (linear between the path's points)."""
    points = ctx.planted.rating_path
    if day <= points[0][0]:
        return points[0][1]
    for (d0, r0), (d1, r1) in zip(points, points[1:]):
        if day <= d1:
            return r0 + (r1 - r0) * (day - d0) / (d1 - d0)
    return points[-1][1]


def band_of(ctx: Ctx, rating: float | None) -> int | None:
    """Index into planted.rating_bands ([lower, upper) intervals), None without a rating."""
    if rating is None:
        return None
    for i, (_, lower, upper) in enumerate(ctx.planted.rating_bands):
        if (lower is None or rating >= lower) and (upper is None or rating < upper):
            return i
    raise ValueError(f"rating {rating} is in no band")


def planted_day_bands(ctx: Ctx) -> list[int | None]:
    """Planted band per day of the window; day 0 has none (no review published before it)."""
    return [None] + [band_of(ctx, path_rating(ctx, d)) for d in range(1, ctx.days)]


def multipliers(ctx: Ctx, kind: str) -> dict[int | None, float]:
    """Band -> multiplier of P(fmot) (kind 'fmot'), averaging 1 over the window's days."""
    p = ctx.planted
    relative = dict(enumerate(getattr(p, f"band_{kind}_relative")))
    relative[None] = getattr(p, f"unrated_{kind}_relative")
    days = planted_day_bands(ctx)
    mean = sum(relative[b] for b in days) / len(days)
    return {b: r / mean for b, r in relative.items()}


def band_sql(ctx: Ctx, zmot_s: str) -> str:
    """SQL: the planted band index (NULL: no rating yet) of the day an epoch-seconds zmot falls on."""
    day = f"(({zmot_s} - {ctx.start_s}) // {DAY})"
    arms, days = [], planted_day_bands(ctx)
    start = 0
    for d in range(1, len(days) + 1):
        if d == len(days) or days[d] != days[start]:
            arms.append(f"WHEN {day} < {d} THEN {lit(days[start])}")
            start = d
    return f"(CASE {' '.join(arms)} ELSE {lit(days[-1])} END)"


def multiplier_sql(ctx: Ctx, kind: str, band: str) -> str:
    m = multipliers(ctx, kind)
    arms = " ".join(f"WHEN {band} = {b} THEN {m[b]!r}" for b in m if b is not None)
    return f"(CASE {arms} ELSE {m[None]!r} END)"


def platform_sql(draw: str) -> str:
    return pick(draw, PLATFORMS)


def build_public_reviews(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> None:
    """Reviews by authors the CRM does not know, day by day: a few a day (drawn), each either a
    natural draw or the stars that bring the cumulative average towards the path's value at the
    next day's start; extra steering reviews where the day's customer reviews pushed it away."""
    rng = random.Random(f"public-reviews-{ctx.seed}")
    by_day: dict[int, list[tuple[int, int]]] = {}
    for at_s, stars in con.execute("SELECT review_s, stars FROM story WHERE review_s IS NOT NULL ORDER BY review_s, idx").fetchall():
        by_day.setdefault((at_s - ctx.start_s) // DAY, []).append((at_s, stars))
    rate = ctx.planted.public_reviews_per_day * ctx.scale
    total, count, rows = 0, 0, []

    def steer(target: float) -> int:
        return min(5, max(1, round(target * (count + 1) - total)))

    for day in range(ctx.days):
        day_s = ctx.start_s + day * DAY
        target = path_rating(ctx, day + 1)
        public = sorted((day_s + rng.randrange(DAY), rng.random() < NATURAL_SHARE) for _ in range(_poisson(rng, rate)))
        events = sorted([(s, "customer", stars) for s, stars in by_day.get(day, [])]
                        + [(s, "natural" if natural else "steer", None) for s, natural in public])
        for at_s, kind, stars in events:
            if kind == "natural":
                stars = rng.choices([s for s, _ in NATURAL_STARS], [w for _, w in NATURAL_STARS])[0]
            elif kind == "steer":
                stars = steer(target)
            if kind != "customer":
                rows.append((at_s, stars))
            total, count = total + stars, count + 1
        for _ in range(MAX_EXTRA_PER_DAY):
            error = abs(total / count - target) if count else math.inf
            stars = steer(target)
            if error <= TOLERANCE or abs((total + stars) / (count + 1) - target) >= error:
                break
            rows.append((day_s + rng.randrange(DAY), stars))
            total, count = total + stars, count + 1
    rows.sort()
    values = ", ".join(
        f"({PUBLIC_IDX + i}, {at_s}, {stars}, {lit(_platform(rng))})" for i, (at_s, stars) in enumerate(rows)
        if at_s < ctx.end_s
    ) or "(NULL, NULL, NULL, NULL)"
    con.execute(f"""
        CREATE OR REPLACE TABLE public_reviews AS
        SELECT * FROM (VALUES {values}) r(idx, review_s, stars, platform) WHERE idx IS NOT NULL
    """)


def _poisson(rng: random.Random, mean: float) -> int:
    n, threshold, product = 0, math.exp(-mean), rng.random()
    while product > threshold:
        n += 1
        product *= rng.random()
    return n


def _platform(rng: random.Random) -> str:
    return rng.choices([p for p, _ in PLATFORMS], [w for _, w in PLATFORMS])[0]
