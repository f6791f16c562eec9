"""The short report `mot run` prints: what landed, what was quarantined, what was published."""

from __future__ import annotations

from pathlib import Path

import duckdb

from .settings import Settings


def _table(headers: list[str], rows: list[tuple]) -> str:
    cells = [[("" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)) for v in row] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda values: "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths)))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(c) for c in cells)])


def render(settings: Settings, published_now: bool | None = None) -> str:
    """`published_now`: whether the night just run replaced the published file (None: not known, as
    for `mot summary`). A night that did not says so before the figures, which are then the
    previous night's."""
    out = []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as wh:
        raw = wh.execute(
            """select t.table_name, t.estimated_size,
                      coalesce(q.rows, 0) as quarantined
               from duckdb_tables() t
               left join (select raw_table, count(*) as rows from ingest.quarantine group by 1) q
                 on q.raw_table = t.table_name
               where t.schema_name = 'raw' order by 1"""
        ).fetchall()
        raw = [(name, wh.execute(f"select count(*) from raw.{name}").fetchone()[0], q) for name, _, q in raw]
    out.append("Raw tables (rows loaded, rows quarantined):")
    out.append(_table(["raw table", "rows", "quarantined"], raw))

    published = settings.published_path
    out.append(f"\nPublished database: {published}")
    if not Path(published).exists():
        out.append("  (not published: a check failed or the run stopped before publish)")
        return "\n".join(out)
    with duckdb.connect(str(published), read_only=True) as bi:
        if published_now is False:
            before = bi.execute("select max(published_at) from publish_info").fetchone()[0]
            when = f"at {before:%Y-%m-%d %H:%M} UTC" if before else "by an earlier night"
            out.append(f"  NOT published by this night (a check or a step failed before publish): BI still "
                       f"reads the file published {when}, whose figures follow")
        tables = [r[0] for r in bi.execute("select table_name from duckdb_tables() order by 1").fetchall()]
        out.append("  tables: " + ", ".join(tables))
        moments = bi.execute(
            "select moment, count(*) from fct_prospect_moments group by all order by min(moment_order)"
        ).fetchall()
        total = sum(n for _, n in moments)
        out.append(f"\nfct_prospect_moments: {total} rows (" + ", ".join(f"{m} {n}" for m, n in moments) + ")")
        out.extend(_coverage(bi))
        stl = bi.execute(
            """select response_time_bucket, leads, leads_reached_fmot, fmot_rate
               from mart_speed_to_lead order by bucket_order"""
        ).fetchall()
        if stl:
            out.append("\nSpeed to lead (response time from first inquiry to first response attempt):")
            out.append(_table(["bucket", "leads", "reached fmot", "fmot rate"], stl))
        else:
            out.append("\nSpeed to lead: not published (the data has no CRM activities to time a response).")
        won = bi.execute(
            """select entered, converted_ever, conversion_rate_ever, converted_within_window,
                      entered_with_full_window, conversion_rate_within_window
               from mart_funnel where breakdown = 'all' and from_moment = 'zmot' and to_moment = 'purchase'"""
        ).fetchall()
        if won:
            out.append("\nLead -> won (zmot -> purchase):")
            out.append(_table(["leads", "won", "rate", "won in window", "leads with full window", "rate in window"], won))
    return "\n".join(out)


def _coverage(bi: duckdb.DuckDBPyConnection) -> list[str]:
    """What the data could not support, and the rows staging kept one of (shared ids)."""
    lines = []
    unsupported = bi.execute(
        """select coverage_item, reason from mart_coverage
           where coverage_kind = 'moment' and not is_supported order by item_order"""
    ).fetchall()
    if unsupported:
        lines.append("\nNot supported by this data (no figures published for them):")
        lines.extend(f"  {item:15} {reason}" for item, reason in unsupported)
    notes = bi.execute("select coverage_item, note from mart_coverage where note is not null order by item_order").fetchall()
    lines.extend(f"  note: {item}: {note}" for item, note in notes)
    removed = bi.execute(
        """select coverage_item, rows_removed_as_duplicates from mart_coverage
           where coverage_kind = 'source_table' and rows_removed_as_duplicates > 0 order by item_order"""
    ).fetchall()
    if removed:
        lines.append("Rows removed as duplicates of a declared id (staging keeps the newest): "
                     + ", ".join(f"{table} {n}" for table, n in removed))
    return lines
