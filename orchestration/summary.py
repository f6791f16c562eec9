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


def render(settings: Settings) -> str:
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
        tables = [r[0] for r in bi.execute("select table_name from duckdb_tables() order by 1").fetchall()]
        out.append("  tables: " + ", ".join(tables))
        moments = bi.execute(
            "select moment, count(*) from fct_prospect_moments group by all order by min(moment_order)"
        ).fetchall()
        total = sum(n for _, n in moments)
        out.append(f"\nfct_prospect_moments: {total} rows (" + ", ".join(f"{m} {n}" for m, n in moments) + ")")
        stl = bi.execute(
            """select response_time_bucket, leads, leads_reached_fmot, fmot_rate
               from mart_speed_to_lead where breakdown = 'all' and response_time_measure = 'elapsed'
               order by bucket_order"""
        ).fetchall()
        out.append("\nSpeed to lead (response time from first inquiry to first response attempt):")
        out.append(_table(["bucket", "leads", "reached fmot", "fmot rate"], stl))
    return "\n".join(out)
