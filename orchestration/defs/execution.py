"""How warehouse steps execute: one DuckDB writer at a time, and retries with backoff.

DuckDB allows one writer per file, and a writer also blocks readers in other processes. Every
asset that opens the working warehouse therefore runs in the concurrency pool `duckdb_warehouse`,
limited to one slot by the instance (dagster.yaml in DAGSTER_HOME: `concurrency.pools.default_limit: 1`,
see orchestration/dagster.yaml). Runs are also tagged so the run queue starts one warehouse run at a
time (the checks, which read the file, are covered by that run-level limit).

What is transient here: a file lock held by another process (a BI tool opened the working file,
a run outlived its cancel), a landing file still being copied, a shared disk hiccup. Those are
retried with exponential backoff (5 s, 10 s, 20 s by default; no jitter: there is one writer, not
a crowd of clients to spread out). A rejected file, a failing dbt test or a bug fails at once with
`Failure(allow_retries=False)`: trying again cannot change the answer.
"""

from contextlib import contextmanager
from typing import Iterator

from dagster import Backoff, Failure, RetryPolicy

from ..settings import Settings

WAREHOUSE_POOL = "duckdb_warehouse"
# Run tag the run queue limits to one run at a time (dagster.yaml: concurrency.runs.tag_concurrency_limits).
WAREHOUSE_RUN_TAG = {"mot/warehouse": "write"}


def free_slots_of_dead_nights(instance, log=print) -> list[str]:
    """Free the warehouse pool's slots held by runs whose process is gone; the runs that held them.

    Call only while holding the night lock (orchestration/guard.py): a live night holds that lock
    before any of its steps claims a slot, so every slot claimed while we hold it belongs to a run
    that died (a killed `mot run` never frees its slot, and would block every later night).
    """
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    info = storage.get_concurrency_info(WAREHOUSE_POOL)
    dead = sorted({slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps})
    for run_id in dead:
        storage.free_concurrency_slots_for_run(run_id)
        run = instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished:
            instance.report_run_failed(run, "its process died while it held the warehouse; freed by the next night")
    if dead:
        log(f"freed the warehouse pool slots of {len(dead)} run(s) whose process had died: {', '.join(dead)}")
    return dead


def transient_retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(max_retries=settings.retry_max, delay=settings.retry_delay_seconds, backoff=Backoff.EXPONENTIAL)


# What a transient failure says: DuckDB's lock error, an OS-level I/O error.
TRANSIENT_MARKERS = ("Could not set lock on file", "Conflicting lock", "database is locked", "Resource temporarily unavailable")


def is_transient(error: BaseException | str) -> bool:
    import duckdb  # late: DuckDB is not needed to load the definitions

    if isinstance(error, (OSError, duckdb.IOException)):
        return True
    return any(marker in str(error) for marker in TRANSIENT_MARKERS)


@contextmanager
def only_transient_failures_retried(what: str) -> Iterator[None]:
    """Let transient errors through to the retry policy; turn every other error into a final Failure."""
    try:
        yield
    except Failure:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise
        raise Failure(description=f"{what}: {type(exc).__name__}: {exc}", allow_retries=False) from exc
