"""`mot`: the project's command line."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import click

from .settings import PROJECT_DIR, Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
def ingest(landing: Path | None) -> None:
    """Load landing files into the warehouse's raw tables without Dagster (for development)."""
    import duckdb

    from .ingestion import ingest_table, load_config

    settings = Settings.from_env()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    landing = landing or settings.landing_dir
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        for spec in load_config():
            for report in ingest_table(conn, spec, landing):
                click.echo(f"{spec.raw_table:22} {report.source_file:40} {report.status:9} read {report.rows_read}"
                           f" = loaded {report.rows_loaded} + quarantined {report.rows_quarantined} {report.message}")


@main.command()
def parse() -> None:
    """Parse the dbt project into target/manifest.json (what Dagster loads)."""
    Settings.from_env().export()
    from .dbt_project import ensure_manifest

    ensure_manifest(force=True)
    click.echo("dbt manifest written to target/manifest.json")


@main.command()
@click.option("--landing", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Landing folder. [default: $MOT_LANDING_DIR or landing/]")
def run(landing: Path | None) -> None:
    """Run the nightly job through Dagster (ingest, raw checks, dbt build, publish) and print a summary."""
    if landing:
        os.environ["MOT_LANDING_DIR"] = str(landing.resolve())
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_DIR / ".dagster"))
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").touch()  # defaults: runs and event logs stored under DAGSTER_HOME
    settings = Settings.from_env()
    settings.export()

    from dagster import DagsterInstance

    from . import summary
    from .definitions import build_definitions

    started = time.perf_counter()
    job = build_definitions(settings).resolve_job_def("nightly")
    # Step events at INFO, not DEBUG: the run log stays in the Dagster UI, the terminal gets the gist.
    quiet = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    result = job.execute_in_process(run_config=quiet, instance=DagsterInstance.get(), raise_on_error=False)
    click.echo(f"\nnightly job {'succeeded' if result.success else 'FAILED'} in {time.perf_counter() - started:.1f}s "
               f"(run {result.run_id})\n")
    click.echo(summary.render(settings))
    _echo_report_path(settings)
    from . import gate_report

    report = gate_report.build(result.all_events, result.run_id)
    click.echo(f"\ngate report: {gate_report.write(settings.reports_dir, report)} (`mot report` prints it)")
    if report["status"] == "failed":
        click.echo("\n" + gate_report.render(report), err=True)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        click.echo(f"\nfailed steps: {', '.join(failed) or 'see the Dagster run log'}", err=True)
        sys.exit(1)


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
        click.echo(f"\nreport: {page} (written after publish; `mot report --html` opens it)")


@main.command("summary")
def show_summary() -> None:
    """Print the summary of the last run: raw counts, quarantine, published tables, speed to lead."""
    from . import summary

    click.echo(summary.render(Settings.from_env()))
