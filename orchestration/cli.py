"""`mot`: the project's command line."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

import click

from .settings import PROJECT_DIR, Settings


def user_error(exc: BaseException) -> str | None:
    """The one-line message of a mistake a person can fix, or None for a bug (which keeps its traceback)."""
    import duckdb

    from .dbt_project import ManifestMissing
    from .engines.postgres import PostgresUnavailable
    from .engines.spark import SparkUnavailable
    from .guard import WarehouseBusy
    from .ingestion.config import ConfigError
    from .night import NightError
    from .settings import SettingsError

    if isinstance(exc, (NightError, WarehouseBusy, ConfigError, ManifestMissing, PostgresUnavailable,
                        SparkUnavailable, SettingsError)):
        return str(exc)
    if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
        return (f"a DuckDB file is locked by another process (a BI tool or a night outside `mot`?): "
                f"{str(exc).splitlines()[0]}")
    return None


class _Cli(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:
            message = user_error(exc)
            if message is None:
                raise
            raise click.ClickException(message) from None


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Moments-of-truth warehouse: generate sample exports, ingest, build, check, publish."""


@main.command()
@click.option("--scale", type=float, default=1.0, show_default=True, help="1 = 10,000 prospects; fractions allowed.")
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same files.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Landing folder to write. [default: $MOT_LANDING_DIR or landing/]")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default="2026-01-01", show_default=True,
              help="First day of the generated window.")
@click.option("--days", type=int, default=181, show_default=True, help="Length of the window in days.")
def generate(scale: float, seed: int, out_dir: Path | None, start, days: int) -> None:
    """Write sample vendor-shaped exports (CRM, GA4, surveys, reviews) and their truth file."""
    from .generator import generate as run_generator

    out_dir = out_dir or Settings.from_env().landing_dir
    started = time.perf_counter()
    truth = run_generator(out_dir, scale=scale, seed=seed, start=start.date(), days=days)
    counts = truth.get("counts", {})
    click.echo(f"wrote sample exports to {out_dir} in {time.perf_counter() - started:.1f}s: "
               + json.dumps(counts, default=str)[:400])


@main.command()
@click.option("--landing", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Landing folder. [default: $MOT_LANDING_DIR or landing/]")
@click.option("--settle-seconds", type=click.FloatRange(min=0), default=None,
              help="Leave files modified less than this long ago for a later run (a writer may still be busy). "
              "[default: $MOT_SETTLE_SECONDS or 0]")
def ingest(landing: Path | None, settle_seconds: float | None) -> None:
    """Load landing files into the warehouse's raw tables without Dagster (for development); with
    MOT_DBT_TARGET=postgres, land them in PostgreSQL too; with spark, write them as Parquet for Spark.

    Exits with status 1 when any file is rejected (each rejection is printed with its reason and
    written to ingest.load_log); the other files are loaded all the same."""
    import duckdb

    from . import guard, night
    from .ingestion import ingest_table, load_config

    settings = Settings.from_env()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    landing = landing or settings.landing_dir
    settle_seconds = settings.settle_seconds if settle_seconds is None else settle_seconds
    night.check_landing(landing)
    with guard.night_lock(settings.warehouse_path, settings.lock_timeout_seconds, log=click.echo), \
            duckdb.connect(str(settings.warehouse_path)) as conn:
        rejected = 0
        for spec in load_config(settings.sources_config):
            for report in ingest_table(conn, spec, landing, settle_seconds=settle_seconds):
                rejected += report.status == "rejected"
                click.echo(f"{spec.raw_table:22} {report.source_file:40} {report.status:9} read {report.rows_read}"
                           f" = loaded {report.rows_loaded} + quarantined {report.rows_quarantined} {report.message}")
            if settings.on_postgres:
                from .engines.postgres import land_raw_table

                landed = land_raw_table(conn, settings.postgres, "raw", spec.raw_table)
                click.echo(f"{spec.raw_table:22} landed in PostgreSQL: {landed['loads_landed']} new load(s), "
                           f"{landed['loads_removed']} removed")
        if settings.on_postgres:
            from .engines.postgres import land_ingest_tables

            land_ingest_tables(conn, settings.postgres)
        if settings.on_spark:
            from .engines.spark import write_raw_parquet

            written = write_raw_parquet(conn, settings.spark_data_dir)
            click.echo(f"wrote {len(written)} tables as Parquet for Spark under {settings.spark_data_dir / 'raw'}")
    if rejected:
        click.echo(f"{rejected} file(s) rejected: see the messages above (and ingest.load_log)", err=True)
        sys.exit(1)


@main.command()
def parse() -> None:
    """Parse the dbt project into target/manifest.json (what Dagster loads)."""
    from .dbt_project import parse as dbt_parse

    click.echo(f"dbt manifest written to {dbt_parse(Settings.from_env())}")


@main.command()
@click.option("--landing", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Landing folder. [default: $MOT_LANDING_DIR or landing/]")
@click.option("--verbose", "-v", is_flag=True,
              help="Print Dagster's and dbt's full output (otherwise it goes to reports/logs/night-*.log).")
@click.option("--force", is_flag=True, help="Rebuild and republish even when no landing file is new or changed.")
def run(landing: Path | None, verbose: bool, force: bool) -> None:
    """Run the nightly job through Dagster (ingest, raw checks, dbt build, publish) and print a summary.

    One night at a time: a second `mot run` (or a night started from Dagster) waits for the first,
    up to MOT_LOCK_TIMEOUT_SECONDS, then gives up with a message. A night with no new or changed
    landing file says so and publishes nothing.
    """
    from . import guard, night
    from .ingestion import load_config

    settings = Settings.from_env()
    if landing:
        settings = replace(settings, landing_dir=landing.resolve())
    settings.export()
    night.check_landing(settings.landing_dir)
    _check_manifest(settings)
    if settings.on_postgres:
        from .engines.postgres import connect

        with connect(settings.postgres):
            pass  # a server that does not answer is one line now, not a failed step after the loads
    if settings.on_spark:
        from .engines.spark import check_master

        check_master(settings.spark_master)
    _prepare_dagster_home()
    started = time.perf_counter()
    with guard.night_lock(settings.warehouse_path, settings.lock_timeout_seconds, log=click.echo):
        specs = load_config(settings.sources_config)
        if not force and not night.new_or_changed(specs, settings.landing_dir, settings.warehouse_path,
                                                  settings.published_path):
            click.echo(f"no new data in {settings.landing_dir}: every file is already loaded and published "
                       f"({settings.published_path}); nothing republished")
            return
        stopped, outcome = _run_stoppably(lambda: _run_nightly_job(settings, verbose), log=click.echo)
        if stopped:
            click.echo(f"\nnightly job stopped by {stopped[0]} after {time.perf_counter() - started:.1f}s: dbt "
                       f"was stopped and waited for; this run published nothing more", err=True)
            sys.exit(128 + stopped[1])
        if isinstance(outcome, BaseException):
            raise outcome
        result, log_path = outcome
    _report_night(settings, result, log_path, time.perf_counter() - started)


# How long the night gets to end after SIGTERM/SIGINT (dbt stops at once; an ingestion step finishes
# its table) before its child processes are killed and the process exits.
STOP_GRACE_SECONDS = 30.0


def _run_stoppably(work, log):
    """Run `work` (the nightly job) in a worker thread, so that SIGTERM and SIGINT reach this
    (main) thread, whose handlers Dagster leaves alone, instead of becoming a flag that Dagster
    only looks at between steps. On a signal every dbt process below this one gets SIGINT (dbt
    cancels its queries and exits, so the dbt step fails and nothing downstream is published), and
    so does any dbt that starts later; when the job has ended, or STOP_GRACE_SECONDS have passed,
    whatever child process of the stopped night remains gets SIGTERM, then SIGKILL, and is waited
    for. No dbt outlives `mot run` holding the warehouse, and the next night can start at once.

    Returns ([signal name, number] or [], the job's return value or the exception it raised)."""
    import threading

    stopped: list = []
    outcome: list = [None]
    stop_at = [0.0]

    def on_signal(signum, frame):
        if not stopped:
            stopped.extend([signal.Signals(signum).name, int(signum)])
            stop_at[0] = time.monotonic()
            log(f"{signal.Signals(signum).name}: stopping the night (dbt is stopped and waited for)")
        _signal_all(_descendants(os.getpid()), signal.SIGINT)

    def target():
        try:
            outcome[0] = work()
        except BaseException as exc:  # handed to the main thread
            outcome[0] = exc

    previous = {number: signal.signal(number, on_signal) for number in (signal.SIGTERM, signal.SIGINT)}
    worker = threading.Thread(target=target, name="night", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
            if stopped:
                _signal_all(_descendants(os.getpid()), signal.SIGINT)  # a dbt started after the signal
                if time.monotonic() - stop_at[0] > STOP_GRACE_SECONDS:
                    break
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if stopped:  # a night that ended on its own leaves its helpers (e.g. multiprocessing's) to end with it
            _end_children(10.0, log)
    return stopped, outcome[0]


def _signal_all(pids: list[int], number: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, number)
        except ProcessLookupError:
            pass


def _descendants(pid: int) -> list[int]:
    """The process ids below `pid` (children first), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2:].split()[1])
        parents.setdefault(parent, []).append(int(entry.name))
    found, queue = [], list(parents.get(pid, []))
    while queue:
        child = queue.pop(0)
        found.append(child)
        queue += parents.get(child, [])
    return found


def _end_children(grace_seconds: float, log) -> None:
    if not Path("/proc").is_dir():
        return
    children = _descendants(os.getpid())
    if not children:
        return
    log(f"stopping {len(children)} child process(es) still running: {', '.join(map(str, children))}")
    for number in (signal.SIGTERM, signal.SIGKILL):
        for pid in children:
            try:
                os.kill(pid, number)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + (grace_seconds if number == signal.SIGTERM else 10)
        while time.monotonic() < deadline:
            for pid in children:  # reap our own children; the others are reaped by their parent
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
            children = [pid for pid in children if _alive(pid)]
            if not children:
                return
            time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"  # a zombie has ended; only its parent's wait remains


def _check_manifest(settings: Settings) -> None:
    from .dbt_project import require_manifest

    require_manifest(settings)


def _prepare_dagster_home() -> Path:
    """DAGSTER_HOME with the project's instance configuration (one warehouse run at a time, no
    telemetry) unless it already holds a configuration of its own."""
    import shutil

    from .settings import PROJECT_DIR

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_DIR / ".dagster"))
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists() or not config.read_text().strip():
        shutil.copyfile(PROJECT_DIR / "orchestration" / "dagster.yaml", config)
    return dagster_home


def _run_nightly_job(settings: Settings, verbose: bool):
    import contextlib
    import warnings

    # Dagster flags its own beta parameters on every import: a warning for its developers, not ours.
    warnings.filterwarnings("ignore", message=r".*(is currently in beta|is currently in preview).*")
    from dagster import DagsterInstance

    from .definitions import build_definitions
    from .defs.execution import free_slots_of_dead_nights
    from .defs.terminal import StageHandler, night_log_path, stage_logger_defs, stage_totals

    instance = DagsterInstance.get()
    free_slots_of_dead_nights(instance, log=click.echo)
    defs = build_definitions(settings)
    job = defs.resolve_job_def("nightly")
    if verbose:
        # Step events at INFO, not DEBUG: the run log stays in the Dagster UI, the terminal gets the gist.
        quiet = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
        return job.execute_in_process(run_config=quiet, instance=instance, raise_on_error=False), None
    log_path = night_log_path(settings.reports_dir)
    click.echo(f"nightly job started; Dagster's and dbt's output: {log_path} (--verbose prints it)")
    out = sys.stdout
    handler = StageHandler(out, totals=stage_totals(defs.resolve_asset_graph()))
    with open(log_path, "a", buffering=1, encoding="utf-8") as log_file, \
            contextlib.redirect_stdout(log_file), contextlib.redirect_stderr(log_file):
        job = job.with_logger_defs(stage_logger_defs(log_file, out, handler))
        try:
            result = job.execute_in_process(run_config={"loggers": {"night": {}}}, instance=instance,
                                            raise_on_error=False)
        finally:
            handler.close()
    return result, log_path


def _report_night(settings: Settings, result, log_path: Path | None, seconds: float) -> None:
    import duckdb

    from . import gate_report, summary
    from .reports.validation_page import write_validation_page

    click.echo(f"\nnightly job {'succeeded' if result.success else 'FAILED'} in {seconds:.1f}s (run {result.run_id})\n")
    report = gate_report.build(result.all_events, result.run_id)
    try:
        click.echo(summary.render(settings, published_now=report["published"]))
    except duckdb.Error as exc:
        click.echo(f"(no summary: {str(exc).splitlines()[0]})")
    _echo_report_path(settings)
    click.echo(f"gate report: {gate_report.write(settings.reports_dir, report)} (`mot report` prints it; "
               f"every check's result, offline: {write_validation_page(settings.reports_dir)})")
    if report["status"] == "failed":
        click.echo("\n" + gate_report.render(report), err=True)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        _alert(settings, result, failed)
        where = f"; full log: {log_path}" if log_path else ""
        click.echo(f"\nfailed steps: {', '.join(failed) or 'see the Dagster run log'}{where}", err=True)
        sys.exit(1)


def _alert(settings: Settings, result, failed: list[str]) -> None:
    """A failed `mot run` alerts like a failed scheduled run (the failure sensor only sees runs the
    daemon can see, and an in-process run is over before any sensor ticks)."""
    import logging

    from .alerts import FailedStep, build_alert_payload, send_alert

    steps = [FailedStep(e.step_key or "?", getattr(getattr(e.event_specific_data, "error", None), "message", "") or "")
             for e in result.all_events if e.is_step_failure]
    payload = build_alert_payload(result.run_id, "nightly", steps, None, settings.dagster_ui_url)
    log = logging.getLogger("mot.alerts")
    log.addHandler(logging.NullHandler())
    send_alert(payload, settings.reports_dir, settings.alert_webhook_url or None, log)


@main.command("report")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--html", "as_html", is_flag=True,
              help="Write the nightly HTML report from the published file, print its path and open it.")
@click.option("--no-open", is_flag=True, help="With --html: do not open a browser.")
def show_report(as_json: bool, as_html: bool, no_open: bool) -> None:
    """Print the gate report of the last run (each failed check, its table, sample offending rows), or with
    --html write the nightly HTML report from the published file and open it."""
    from . import gate_report

    settings = Settings.from_env()
    if as_html:
        _write_html_report(settings, open_browser=not no_open)
        return
    report = gate_report.read_last(settings.reports_dir)
    if report is None:
        raise click.ClickException(f"no gate report yet in {settings.reports_dir / gate_report.GATE_DIR}: run `mot run` first")
    click.echo(json.dumps(report, indent=2) if as_json else gate_report.render(report))


def _write_html_report(settings: Settings, open_browser: bool) -> None:
    import webbrowser

    from .reports.html_report import report_dir, write_report

    if not settings.published_path.exists():
        raise click.ClickException(f"nothing published yet at {settings.published_path}: run `mot run` first")
    page = write_report(settings.published_path, report_dir(settings.reports_dir))
    click.echo(f"report: {page}")
    if open_browser:
        webbrowser.open(page.resolve().as_uri())


def _echo_report_path(settings: Settings) -> None:
    from .reports.html_report import REPORT_FILE, report_dir

    page = report_dir(settings.reports_dir) / REPORT_FILE
    if page.exists():
        click.echo(f"report: {page} (written after publish; `mot report --html` opens it)")


@main.command("summary")
def show_summary() -> None:
    """Print the summary of the last run: raw counts, quarantine, published tables, speed to lead."""
    from . import summary

    click.echo(summary.render(Settings.from_env()))
