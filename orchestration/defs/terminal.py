"""What a person sees while a night runs: one line per stage, counts and durations; the rest in a file.

Dagster's and dbt's own output (hundreds of lines a night) goes to <reports>/logs/night-<time>.log;
`mot run --verbose` prints it as before. The stage lines are drawn from the run's own events
(step starts and ends, materializations, check evaluations), as they happen. On a terminal a
progress bar (tqdm, which Dagster already depends on) runs while a stage does: raw tables loaded
(and the shards of a daily-sharded table), checks evaluated, dbt models built and tested. A pipe or
a file gets the stage lines only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

STAGES = ("ingest", "raw gate", "dbt build", "mart gate", "publish")
# How the ingestion asset reports the shards it has loaded so far (defs/ingestion.py writes it,
# the progress bar reads it): "<PROGRESS_MARK> raw.web_events 40/181".
PROGRESS_MARK = "progress:"


def stage_of(step_key: str | None) -> str | None:
    if not step_key:
        return None
    if step_key == "published__marts":
        return "publish"
    if "gx_" in step_key:
        return "raw gate" if step_key.startswith("raw__") else "mart gate"
    if step_key.startswith("raw__"):
        return "ingest"
    return "dbt build"


@dataclass
class Stage:
    name: str
    seconds: float = 0.0
    steps: int = 0
    failed_steps: list[str] = field(default_factory=list)
    materialized: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    files: int = 0
    files_unchanged: int = 0
    tables: int = 0

    def line(self) -> str:
        if self.name == "ingest":
            what = (f"{self.steps} raw tables, {self.files} files ({self.files_unchanged} unchanged), "
                    f"{self.rows_loaded:,} rows loaded, {self.rows_quarantined:,} quarantined")
        elif self.name == "dbt build":
            what = f"{self.materialized} models and seeds, {self.checks_passed} tests passed, {self.checks_failed} failed"
        elif self.name == "publish":
            what = f"{self.tables} tables published" if not self.failed_steps else "nothing published"
        else:
            what = f"{self.checks_passed} checks passed, {self.checks_failed} failed"
        failed = f"  FAILED: {', '.join(self.failed_steps)}" if self.failed_steps else ""
        return f"  {self.name:10} {self.seconds:6.1f}s  {what}{failed}"


def progress_message(table: str, done: int, total: int) -> str:
    return f"{PROGRESS_MARK} {table} {done}/{total}"


def parse_progress(message: str) -> tuple[str, int, int] | None:
    """(table, done, total) of a progress_message, wherever it sits in a log line; None otherwise."""
    at = message.find(PROGRESS_MARK)
    if at < 0:
        return None
    try:
        table, fraction = message[at + len(PROGRESS_MARK):].split()[:2]
        done, total = (int(n) for n in fraction.split("/"))
    except ValueError:
        return None
    return table, done, total


class StageHandler(logging.Handler):
    """Turns the run's Dagster events into stage lines on `out`, and, when `totals` says how many
    steps, checks or dbt nodes a stage has and `out` is a terminal, a progress bar while it runs."""

    def __init__(self, out: TextIO, totals: dict[str, int] | None = None, progress: bool | None = None):
        super().__init__(logging.DEBUG)
        self.out = out
        self.stages: dict[str, Stage] = {}
        self.current: str | None = None
        self.totals = totals or {}
        self.progress = out.isatty() if progress is None else progress
        self.bar = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            meta = getattr(record, "dagster_meta", None) or {}
            event = meta.get("dagster_event") if isinstance(meta, dict) else None
            if event is not None:
                self._on_event(event)
            elif self.bar is not None:
                found = parse_progress(str(meta.get("orig_message") if isinstance(meta, dict) else "")
                                       or record.getMessage())
                if found:
                    self._on_progress(*found)
        except Exception:  # the terminal must never break a night
            pass

    def _open_bar(self, name: str) -> None:
        if not self.progress or not self.totals.get(name):
            return
        from tqdm import tqdm

        self.bar = tqdm(total=self.totals[name], desc=f"  {name:10}", file=self.out, leave=False,
                        dynamic_ncols=True, bar_format="{desc} {bar} {n_fmt}/{total_fmt} {elapsed}{postfix}")

    def _advance(self, name: str, kind: str) -> None:
        """One unit of a stage's bar: a raw table loaded, a check evaluated (dbt's step reports its
        own progress: its events arrive together when dbt has finished, see defs/dbt.py)."""
        if self.bar is None or name != self.current:
            return
        counts = {"ingest": ("STEP_SUCCESS", "STEP_FAILURE"), "publish": ("STEP_SUCCESS", "STEP_FAILURE"),
                  "dbt build": ()}.get(name, ("ASSET_CHECK_EVALUATION",))
        if kind in counts:
            self.bar.update(1)

    def _on_progress(self, what: str, done: int, total: int) -> None:
        if self.current == "dbt build":  # models, seeds and tests dbt has finished, of all it runs
            self.bar.total, self.bar.n = total, done
            self.bar.refresh()
        else:  # the shards of a daily-sharded table, within the ingest stage's count of tables
            self.bar.set_postfix_str(f"{what} {done}/{total} shards", refresh=True)

    def _on_event(self, event) -> None:
        kind, name = event.event_type_value, stage_of(event.step_key)
        if name is None:
            return
        if kind == "STEP_START" and name != self.current:
            self._flush()
            self.current = name
            self._open_bar(name)
        self._advance(name, kind)
        stage = self.stages.setdefault(name, Stage(name))
        data = event.event_specific_data
        if kind == "STEP_START":
            stage.steps += 1
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            stage.seconds += (getattr(data, "duration_ms", None) or 0) / 1000
            if kind == "STEP_FAILURE":
                stage.failed_steps.append(event.step_key)
        elif kind == "ASSET_MATERIALIZATION":
            stage.materialized += 1
            metadata = {k: getattr(v, "value", v) for k, v in (data.materialization.metadata or {}).items()}
            stage.rows_loaded += int(metadata.get("rows_loaded") or 0)
            stage.rows_quarantined += int(metadata.get("rows_quarantined") or 0)
            stage.files += int(metadata.get("files") or 0)
            stage.files_unchanged += int(metadata.get("files_unchanged") or 0)
            tables = metadata.get("tables")
            stage.tables += len(tables) if isinstance(tables, dict) else 0
        elif kind == "ASSET_CHECK_EVALUATION":
            if data.passed:
                stage.checks_passed += 1
            else:
                stage.checks_failed += 1

    def _flush(self) -> None:
        if self.bar is not None:
            self.bar.close()  # leave=False: the bar gives way to the stage's line
            self.bar = None
        if self.current is not None and self.current in self.stages:
            self.out.write(self.stages[self.current].line() + "\n")
            self.out.flush()

    def close(self) -> None:
        self._flush()
        self.current = None
        super().close()


def stage_totals(asset_graph) -> dict[str, int]:
    """How many units each stage's progress bar counts, from the job's asset graph: raw tables,
    Great Expectations checks on raw tables and on marts, dbt models/seeds plus dbt tests, publish."""
    totals = dict.fromkeys(STAGES, 0)
    for key in asset_graph.materializable_asset_keys:
        group = asset_graph.get(key).group_name
        totals["ingest" if group == "ingestion" else "publish" if group == "publish" else "dbt build"] += 1
    for check in asset_graph.asset_check_keys:
        if check.name.startswith("gx_"):
            totals["raw gate" if check.asset_key.path[0] == "raw" else "mart gate"] += 1
        else:
            totals["dbt build"] += 1
    return totals


def night_log_path(reports_dir: Path) -> Path:
    logs = Path(reports_dir) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"night-{time.strftime('%Y%m%d-%H%M%S')}.log"


def stage_logger_defs(log_file: TextIO, out: TextIO, handler: StageHandler):
    """A Dagster logger that writes every record to `log_file` and stage lines to `out`."""
    from dagster import logger

    @logger(description="mot run: every record to the night's log file, stage lines to the terminal")
    def night_logger(_init_context):
        log = logging.getLogger(f"mot.night.{id(handler)}")
        log.handlers.clear()
        log.propagate = False
        log.setLevel(logging.DEBUG)
        to_file = logging.StreamHandler(log_file)
        to_file.setLevel(logging.DEBUG)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(to_file)
        log.addHandler(handler)
        return log

    return {"night": night_logger}
