"""A week of incremental nights publishes exactly what one full refresh of the same files publishes.

The sample's exports are cut into daily deliveries, as a CRM and GA4 would send them: a history
file up to a week before the end, then one file per day for the CRM tables, surveys and reviews
(by each row's date) beside GA4's daily event files. One warehouse lives through the week, one
night per day, each night loading the landing folder as it is that night and building
incrementally:
- every night brings a new day;
- part of a day's web events and CRM engagements arrive two nights late (sessions and prospects
  already built must be reopened);
- one night re-delivers an earlier day's files with rows changed and rows deleted (the loader
  replaces the file's rows: what was built from the deleted rows must go).
Then another warehouse is built once, from empty, from the final landing folder. Every published
table must have the same content checksum in both (doubles to 9 decimals: float sums depend on the
order threads add rows in).
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from orchestration.publish import publish_marts

from test_dbt_models import run_dbt

pytestmark = pytest.mark.slow

SCALE = 0.1
SEED = 16
NIGHTS = 7
LATE_BY_NIGHTS = 2
# When each source last brought new rows is the warehouse's load history, not its data: a week of
# nights and one full load of the same files differ there and nowhere else.
LOAD_HISTORY_COLUMNS = {"mart_coverage": {"last_new_rows_at", "has_new_rows_in_latest_load"}}
# Daily CSV deliveries: file -> the column whose date says which day's delivery a row belongs to.
DATED_CSV = {
    "crm/contacts.csv": "Create Date",
    "crm/engagements.csv": "Activity date",
    "crm/deals.csv": "Create Date",
    "crm/deal_stage_history.csv": "Entered at",
    "crm/time_logs.csv": "Date",
    "survey/responses.csv": "Submit Date (UTC)",
    "reviews/reviews.csv": "Published at",
}


# Doubles are compared to this many decimals: a sum over doubles depends on the order DuckDB's
# threads add the rows in, which differs between two builds of the same data (last-bit noise).
DOUBLE_DECIMALS = 9


def published_checksums(database: Path) -> dict[str, tuple[int, str]]:
    """(rows, md5 of the sorted rows) per published table, the load history left out and doubles
    rounded: two builds' float summation order can differ in the last bits."""
    from orchestration.publish import table_checksums

    return table_checksums(database, LOAD_HISTORY_COLUMNS, double_decimals=DOUBLE_DECIMALS)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def day_of(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None  # a planted malformed date: it travels with the history


class Deliveries:
    """The generated exports cut into what lands each night (night 0 brings the history)."""

    def __init__(self, exports: Path, days: list[date]):
        self.exports, self.days = exports, days
        self.history_end = days[0] - timedelta(days=1)

    def night_of(self, day: date | None) -> int:
        if day is None or day <= self.history_end:
            return 0
        return min(self.days.index(day) + 1 if day in self.days else NIGHTS, NIGHTS)

    def files_for_night(self, night: int) -> dict[str, list]:
        """{relative path: content} of the files that land on `night`: csv -> (header, rows),
        ndjson -> lines. Rows held back arrive LATE_BY_NIGHTS nights later in a `_late` file."""
        files: dict[str, list] = {}
        for name, column in DATED_CSV.items():
            source = self.exports / name
            if not source.exists():
                continue
            header, rows = read_csv(source)
            at = header.index(column)
            stem = name.removesuffix(".csv")
            for index, row in enumerate(rows):
                due = self.night_of(day_of(row[at]) if at < len(row) else None)
                late = name == "crm/engagements.csv" and due > 0 and index % 5 == 0
                if late and due + LATE_BY_NIGHTS <= NIGHTS:
                    due, suffix = due + LATE_BY_NIGHTS, f"_{self.days[due - 1]:%Y%m%d}_late"
                else:
                    suffix = "_history" if due == 0 else f"_{self.days[due - 1]:%Y%m%d}"
                if due == night:
                    files.setdefault(f"{stem}{suffix}.csv", (header, []))[1].append(row)
        if night == 0:
            for name in ("crm/owners.csv",):
                files[name] = read_csv(self.exports / name)
        for source in sorted((self.exports / "web").glob("events_*.ndjson")):
            day = date(int(source.stem[7:11]), int(source.stem[11:13]), int(source.stem[13:15]))
            due = self.night_of(day)
            lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
            on_time = [line for i, line in enumerate(lines) if due == 0 or i % 4]
            late = [line for i, line in enumerate(lines) if due > 0 and not i % 4]
            if due == night:
                files[f"web/{source.name}"] = on_time
            if late and due + LATE_BY_NIGHTS == night:
                files[f"web/{source.stem}_late.ndjson"] = late
            elif late and due + LATE_BY_NIGHTS > NIGHTS and due == night:
                files[f"web/{source.name}"] = lines
        return files


def land(landing: Path, files: dict[str, list]) -> None:
    for name, content in files.items():
        path = landing / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".csv"):
            write_csv(path, *content)
        else:
            path.write_text("".join(content), encoding="utf-8")


def redeliver_with_changes(landing: Path, day: date) -> dict[str, int]:
    """`day`'s engagement and web files sent again: some rows changed, some gone."""
    engagements = landing / f"crm/engagements_{day:%Y%m%d}.csv"
    header, rows = read_csv(engagements)
    outcome, duration = header.index("Outcome"), header.index("Duration (ms)")
    kind = header.index("Engagement type")
    changed = 0
    for row in rows:
        if row[kind] == "CALL" and row[outcome] != "CONNECTED" and changed < 10:
            row[outcome], row[duration] = "CONNECTED", "900000"  # the call was answered after all
            changed += 1
    kept = [row for i, row in enumerate(rows) if i % 6 != 1]
    write_csv(engagements, header, kept)

    events = landing / f"web/events_{day:%Y%m%d}.ndjson"
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    rewritten, web_changed = [], 0
    for i, line in enumerate(lines):
        if i % 7 == 3:
            continue  # deleted by the source
        if i % 7 == 5:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                rewritten.append(line)  # a planted malformed line stays as it was
                continue
            record.setdefault("collected_traffic_source", {})
            if isinstance(record["collected_traffic_source"], dict):
                record["collected_traffic_source"].update(manual_source="newsletter", manual_medium="email")
                web_changed += 1
                line = json.dumps(record) + "\n"
        rewritten.append(line)
    events.write_text("".join(rewritten), encoding="utf-8")
    return {"engagements_changed": changed, "engagements_deleted": len(rows) - len(kept),
            "web_changed": web_changed, "web_deleted": len(lines) - len(rewritten)}


def night(landing: Path, root: Path, number: int) -> dict[str, tuple[int, str]]:
    """Load what is new, build, publish: the steps of a night (the gates and tests add checks, not data)."""
    import duckdb

    from orchestration import ingestion

    root.mkdir(parents=True, exist_ok=True)
    warehouse = root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        for spec in ingestion.load_config():
            list(ingestion.ingest_table(conn, spec, landing))
    # models and seeds: the data tests check what is built, they change none of it (and would double
    # the test's time over eight nights)
    built = run_dbt(["build", "--resource-type", "model", "--resource-type", "seed"], warehouse, root / "target")
    assert built.returncode == 0, f"night {number}:\n" + built.stdout[-6000:]
    published = root / "published" / "marts.duckdb"
    publish_marts(warehouse, published, manifest_path=root / "target" / "manifest.json")
    return published_checksums(published)


def test_a_week_of_incremental_nights_publishes_what_a_full_refresh_does(tmp_path):
    pytest.importorskip("duckdb")
    from orchestration.generator import generate

    exports, landing = tmp_path / "exports", tmp_path / "landing"
    truth = generate(exports, scale=SCALE, seed=SEED)
    web_days = sorted(date(int(p.stem[7:11]), int(p.stem[11:13]), int(p.stem[13:15]))
                      for p in (exports / "web").glob("events_*.ndjson"))
    deliveries = Deliveries(exports, web_days[-NIGHTS:])
    assert truth["counts"]["web_events_written"] > 10_000

    week = tmp_path / "week"
    published: list[dict] = []
    redelivered = {}
    for number in range(NIGHTS + 1):
        land(landing, deliveries.files_for_night(number))
        if number == NIGHTS - 1:
            redelivered = redeliver_with_changes(landing, deliveries.days[1])
        published.append(night(landing, week, number))
    assert all(redelivered.values()), redelivered
    assert list(landing.glob("web/*_late.ndjson")) and list(landing.glob("crm/engagements_*_late.csv"))
    # every night published something new, so each comparison below is about new data
    moments = [p["fct_prospect_moments"] for p in published]
    assert len(set(moments)) == len(moments), "a night changed nothing in the moments"

    full = run_full_refresh(landing, tmp_path / "full")
    assert full.keys() == published[-1].keys()
    differing = sorted(t for t in full if full[t] != published[-1][t])
    assert not differing, {t: (published[-1][t], full[t]) for t in differing}


def run_full_refresh(landing: Path, root: Path) -> dict[str, tuple[int, str]]:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    return night(landing, root, -1)
