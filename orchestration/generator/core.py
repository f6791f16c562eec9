"""generate(): build the story in DuckDB, write the landing files and truth.json."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

import duckdb

from . import crm, reputation, web
from .context import Ctx
from .files import csv_files, fraction, ndjson_bad_lines, write_lines
from .params import Planted
from .sql import install_macros
from .truth import build_truth

EVENTS_PER_BATCH = 1_000_000  # web events expanded at once; bounds memory at any scale


def generate(
    out_dir: str | Path,
    scale: float = 1.0,
    seed: int = 42,
    start: date = date(2026, 1, 1),
    days: int = 181,
    planted: Planted | None = None,
    memory_limit: str = "2GB",
    threads: int | None = None,
) -> dict:
    """Write landing files under out_dir and out_dir/truth.json; return the truth dict.

    The same (scale, seed, start, days, planted) gives byte-identical files, whatever the
    thread count."""
    ctx = Ctx(scale=scale, seed=seed, start=start, days=days, planted=planted or Planted())
    out = Path(out_dir)
    for sub in ("crm", "web", "survey", "reviews"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for stale in (out / "web").glob("events_*.ndjson"):  # a previous run's window may differ
        stale.unlink()

    with tempfile.TemporaryDirectory(prefix=".generate-", dir=out) as tmp:
        con = duckdb.connect(str(Path(tmp) / "generator.duckdb"))
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute(f"SET temp_directory = '{Path(tmp) / 'spill'}'")
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET preserve_insertion_order = true")
            con.execute("SET enable_progress_bar = false")
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            install_macros(con, seed)
            _build_story(con, ctx)
            files = {f.name: write_lines(con, ctx, out, f) for f in csv_files(ctx)}
            truth = build_truth(con, ctx, files, _write_web(con, ctx, out))
        finally:
            con.close()
    (out / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return truth


def _build_story(con: duckdb.DuckDBPyConnection, ctx: Ctx) -> None:
    crm.build_owners(con, ctx)
    # Referred leads arrive after their referrer's purchase, so the base leads' story comes
    # first; the story is a pure function of each lead, so rebuilding it over all leads
    # leaves the base leads' rows unchanged.
    crm.build_leads(con, ctx, crm.build_base_spine(con, ctx))
    crm.build_story(con, ctx)
    referrals = crm.build_referrals(con, ctx)
    con.execute(f"CREATE OR REPLACE TABLE spine AS SELECT * FROM base_spine UNION ALL SELECT * FROM {referrals}")
    crm.build_leads(con, ctx, "spine")
    crm.build_story(con, ctx)
    reputation.build_public_reviews(con, ctx)
    crm.build_engagements(con, ctx)
    crm.build_time_logs(con, ctx)
    web.build_sessions(con, ctx)


def _write_web(con: duckdb.DuckDBPyConnection, ctx: Ctx, out: Path) -> dict:
    bad = ndjson_bad_lines(ctx)
    total = con.execute("SELECT coalesce(sum(n_events), 0) FROM sessions").fetchone()[0]
    batch_days = max(1, int(EVENTS_PER_BATCH * ctx.days // max(1, total)))
    report = {"files": ctx.days, "rows_written": 0, "clean_rows": 0, "duplicates": 0, "late_events": 0,
              "late_events_by_file": {}, "malformed": []}
    for lo in range(0, ctx.days, batch_days):
        hi = min(ctx.days, lo + batch_days)
        web.build_batch(con, ctx, lo, hi)
        stats = {d: (n, dups, late) for d, n, dups, late in con.execute("""
            SELECT shard, sum(copies)::BIGINT, sum(copies - 1)::BIGINT, count(*) FILTER (WHERE shard > event_day)
            FROM web_batch GROUP BY shard""").fetchall()}
        for day in range(lo, hi):
            n, dups, late = stats.get(day, (0, 0, 0))
            name = web.shard_name(ctx, day)
            inserted = []
            if day in bad:
                column, problem, line = bad[day]
                pos = int(fraction(ctx, name) * (n + 1))
                inserted = [(pos, line)]
                report["malformed"].append({"file": name, "row": pos + 1, "column": column, "problem": problem})
            web.write_shard(con, out, name, day, inserted)
            report["rows_written"] += n + len(inserted)
            report["clean_rows"] += n - dups
            report["duplicates"] += dups
            report["late_events"] += late
            if late:
                report["late_events_by_file"][name] = late
    return report
