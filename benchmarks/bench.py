"""Benchmark the nightly pipeline at chosen scales, against DuckDB doing the same work bare.

For each scale it generates sample exports and measures, in one run:
- ingest (our loader) vs DuckDB's own read_csv/read_json of the same files into tables;
- dbt models only, and models + tests, vs the same compiled SQL run bare in DuckDB in dependency order;
- an incremental night (one new day of web events) vs the full build;
- the whole night through Dagster (`mot run`: ingest + checks + dbt build + publish) on every day
  but the last, its peak memory (the summed RSS of `mot run` and every process it starts, sampled,
  beside the largest single process); then the incremental night that brings the last day (one of 181);
- a minimal hand-written DuckDB pipeline of the same job (benchmarks/reference_pipeline.py) on the
  same files, the yardstick of the full night;
- how long loading the Dagster definitions takes.
It prints a table and writes a JSON file; targets are marked met / not met. Nothing here is a test.
`--nights-only` measures the two nights and the reference pipeline alone.
"""

from __future__ import annotations

import argparse
import graphlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GIB = 1024**3
# The incremental models refuse --full-refresh unless told (dbt_project.yml, allow_full_refresh).
ALLOW_FULL_REFRESH = ["--vars", '{"allow_full_refresh": true}']

TARGETS = {
    "night_s_at_scale_100": 360.0,
    "night_peak_rss_gib_at_scale_100": 4.0,
    "dbt_over_bare": 1.3,
    "ingest_over_duckdb": 1.5,
    "incremental_over_full": 0.05,
    # the incremental night (one new day of 181) against the full night, by scale
    "incremental_night_over_full_night": {10: 0.15, 100: 0.05},
    # the full night against the hand-written reference pipeline, at this scale
    "night_over_reference": 1.5,
    "night_over_reference_scale": 10,
    "linearity_tolerance": 0.20,
    "definitions_import_s": 0.5,
    "definitions_load_s": 1.5,
}


def progress(scale: float, message: str) -> None:
    """One line per step, so a bench that runs for many minutes says where it is."""
    print(f"  [{time.strftime('%H:%M:%S')}] x{scale:g}: {message}", flush=True)


@contextmanager
def stopwatch(into: dict, key: str):
    """Time one step into `into[key]`, with a line before and after it: a benchmark at scale 100
    runs for many minutes, and a person watching should see which step it is in."""
    print(f"  {key.removesuffix('_s')}…", flush=True)
    started = time.perf_counter()
    yield
    into[key] = round(time.perf_counter() - started, 3)
    print(f"  {key.removesuffix('_s')}: {into[key]:.1f}s", flush=True)


def env_for(warehouse: Path, landing: Path, root: Path, memory_limit: str) -> dict:
    return {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "false",
        "MOT_DBT_TARGET": "duckdb",
        "MOT_WAREHOUSE_PATH": str(warehouse),
        "MOT_LANDING_DIR": str(landing),
        "MOT_PUBLISH_DIR": str(root / "published"),
        "MOT_REPORTS_DIR": str(root / "reports"),
        "MOT_DUCKDB_MEMORY_LIMIT": memory_limit,
        "DAGSTER_HOME": str(root / "dagster"),
    }


def run(cmd: list[str], env: dict, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess:
    completed = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}")
    return completed


def dbt(args: list[str], warehouse: Path, target: Path, memory_limit: str, extra_env: dict | None = None) -> None:
    env = {**env_for(warehouse, Path("."), target.parent, memory_limit), **(extra_env or {})}
    run([str(BIN / "dbt"), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(target / "logs")], env)


def dbt_one_day_later(warehouse: Path, target: Path, memory_limit: str) -> None:
    """`dbt build` as a night a day after the last runs it (see nights(): no lookback re-read)."""
    dbt(["build"], warehouse, target, memory_limit, extra_env={"MOT_INCREMENTAL_LOOKBACK_HOURS": "0"})


def ingest(warehouse: Path, landing: Path, memory_limit: str) -> int:
    """Our loader, in process; returns rows read."""
    from orchestration.ingestion import ingest_table, load_config

    rows = 0
    with duckdb.connect(str(warehouse), config={"memory_limit": memory_limit}) as conn:
        for spec in load_config():
            reports = ingest_table(conn, spec, landing)
            rows += sum(r.rows_read for r in reports)
    return rows


def duckdb_own_load(landing: Path, scratch: Path, memory_limit: str) -> None:
    """The same files loaded by DuckDB itself, with no checks: the floor our loader is held to."""
    from orchestration.ingestion import load_config

    with duckdb.connect(str(scratch), config={"memory_limit": memory_limit}) as conn:
        for spec in load_config():
            files = sorted(str(p) for p in landing.glob(spec.files))
            if not files:
                continue
            reader = (f"read_csv({files!r}, all_varchar = true, ignore_errors = true)" if spec.format == "csv"
                      else f"read_json({files!r}, format = 'newline_delimited', ignore_errors = true)")
            conn.execute(f"create or replace table {spec.raw_table} as select * from {reader}")


def bare_sql(manifest_path: Path, warehouse: Path, memory_limit: str) -> int:
    """Every model's compiled SQL, materialised by plain DuckDB statements in dependency order."""
    manifest = json.loads(manifest_path.read_text())
    models = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    order = graphlib.TopologicalSorter(
        {k: [d for d in n["depends_on"]["nodes"] if d in models] for k, n in models.items()}
    ).static_order()
    executed = 0
    with duckdb.connect(str(warehouse), config={"memory_limit": memory_limit}) as conn:
        for key in order:
            node = models[key]
            kind = node["config"]["materialized"]
            if kind == "ephemeral":
                continue
            conn.execute(f'create schema if not exists "{node["schema"]}"')
            relation = f'"{node["schema"]}"."{node["alias"]}"'
            ddl = "view" if kind == "view" else "table"
            conn.execute(f"create or replace {ddl} {relation} as {node['compiled_code']}")
            executed += 1
    return executed


def peak_child_rss_gib() -> float:
    """The largest single child process since the bench started (getrusage): not the night's
    memory when the night runs dbt beside `mot run`, nor a figure of this night alone."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / GIB


def descendants_rss_bytes(pid: int) -> int:
    """The summed resident memory of every process below `pid`, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                # the command name may hold spaces and parentheses: the parent pid follows the last ')'
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(stat[1]), []).append(int(entry))
    total, pending = 0, list(children.get(pid, []))
    while pending:
        child = pending.pop()
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            pass
        pending += children.get(child, [])
    return total


@contextmanager
def tree_peak_rss(into: dict, key: str, every_s: float = 0.5):
    """The peak of the summed RSS of this process's descendants while the block runs, sampled
    every `every_s`: a night's memory is `mot run` and the dbt it starts together, which
    getrusage (the largest single process) does not add up. Linux only; elsewhere not measured."""
    if not Path("/proc/self/stat").exists():
        yield
        return
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], descendants_rss_bytes(os.getpid()))
            done.wait(every_s)

    sampler = threading.Thread(target=sample, name="tree-peak-rss", daemon=True)
    sampler.start()
    try:
        yield
    finally:
        done.set()
        sampler.join()
        into[key] = round(peak[0] / GIB, 3)


@contextmanager
def night_memory(into: dict):
    """Both peaks of a night: the summed RSS of `mot run` and what it starts (night_peak_rss_gib,
    the target's figure) and getrusage's largest single process (night_peak_process_rss_gib)."""
    before = peak_child_rss_gib()
    with tree_peak_rss(into, "night_peak_rss_gib"):
        yield
    into["night_peak_process_rss_gib"] = round(max(peak_child_rss_gib(), before), 3)


def night_steps(dagster_home: Path, stdout: str) -> dict[str, float]:
    """Seconds per step of the night's Dagster run: where the night goes."""
    from dagster import DagsterInstance

    match = re.search(r"\(run ([0-9a-f-]{36})\)", stdout)
    if not match:
        return {}
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        stats = instance.get_run_step_stats(match.group(1))
    return {s.step_key: round(s.end_time - s.start_time, 1) for s in stats if s.start_time and s.end_time}


def generated(scale: float, root: Path, seed: int, m: dict) -> tuple[Path, Path, Path]:
    """The sample exports of a scale (landing), the same without the last web shard (partial),
    and that shard: the "new day" of the incremental night."""
    from orchestration.generator import generate

    root.mkdir(parents=True, exist_ok=True)
    landing, partial = root / "landing", root / "landing_minus_last_day"
    progress(scale, "generating the sample exports")
    with stopwatch(m, "generate_s"):
        truth = generate(landing, scale=scale, seed=seed)
    m["prospects"] = truth["counts"]["prospects"]
    m["web_events"] = truth["counts"]["web_events_written"]
    shards = sorted((landing / "web").glob("events_*.ndjson"))
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(landing, partial, copy_function=os.link, ignore=shutil.ignore_patterns(shards[-1].name))
    return landing, partial, shards[-1]


def night_ratios(m: dict) -> dict:
    """The incremental night against the full night, and the full night against the reference."""
    return {"incremental_night_over_full_night": round(m["incremental_night_s"] / m["night_s"], 3),
            "night_over_reference": round(m["night_s"] / m["reference_s"], 3)}


def bench_nights_only(scale: float, root: Path, seed: int, memory_limit: str) -> dict:
    """The two nights and the reference pipeline alone (`--nights-only`): the night targets at a
    scale where the separate ingest and dbt measurements would take hours more."""
    m: dict = {"scale": scale}
    landing, partial, new_day = generated(scale, root, seed, m)
    m.update(nights(scale, root, partial, new_day, memory_limit))
    m.update(reference(scale, root, landing, memory_limit))
    m.update(night_ratios(m))
    return m


def bench_scale(scale: float, root: Path, seed: int, memory_limit: str) -> dict:
    """All builds but the night's run on every day but the last, so the incremental night (the
    last day) compares with the full build it follows; the night runs on all days from empty."""
    m: dict = {"scale": scale}
    landing, partial, new_day = generated(scale, root, seed, m)

    wh_dir, bare_dir = root / "wh", root / "bare"
    for folder in (wh_dir, bare_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
    warehouse = wh_dir / "warehouse.duckdb"
    timings: dict = {}
    progress(scale, "ingest (our loader), then DuckDB's own load of the same files")
    with stopwatch(timings, "ingest_but_last_day_s"):
        rows = ingest(warehouse, partial, memory_limit)
    with stopwatch(m, "duckdb_load_s"):
        duckdb_own_load(landing, root / "duckdb_own_load.duckdb", memory_limit)
    (root / "duckdb_own_load.duckdb").unlink()

    # dbt: models only, then models + tests, vs the compiled SQL run bare (same file name, so the
    # compiled SQL's three-part names resolve).
    target = root / "target"
    progress(scale, "dbt run, dbt build, then the same SQL run bare")
    dbt(["seed", "--full-refresh"], warehouse, target, memory_limit)
    shutil.copy(warehouse, bare_dir / "warehouse.duckdb")
    with stopwatch(m, "dbt_models_s"):
        dbt(["run", "--full-refresh", *ALLOW_FULL_REFRESH], warehouse, target, memory_limit)
    with stopwatch(m, "dbt_build_s"):
        dbt(["build", "--full-refresh", *ALLOW_FULL_REFRESH], warehouse, target, memory_limit)
    with stopwatch(m, "bare_sql_s"):
        m["bare_models"] = bare_sql(target / "manifest.json", bare_dir / "warehouse.duckdb", memory_limit)
    shutil.rmtree(bare_dir)

    # Incremental night: the new day ingested into the built warehouse, then `dbt build`.
    progress(scale, "the new day: ingest and an incremental dbt build")
    with stopwatch(timings, "ingest_last_day_s"):
        rows += ingest(warehouse, landing, memory_limit)
    m["ingest_s"] = round(timings["ingest_but_last_day_s"] + timings["ingest_last_day_s"], 3)
    m["ingest_rows"] = rows
    m["ingest_rows_per_s"] = round(rows / m["ingest_s"])
    with stopwatch(m, "dbt_incremental_s"):
        dbt_one_day_later(warehouse, target, memory_limit)
    shutil.rmtree(wh_dir)

    m.update(nights(scale, root, partial, new_day, memory_limit))
    m.update(reference(scale, root, landing, memory_limit))

    m["dbt_over_bare"] = round(m["dbt_models_s"] / m["bare_sql_s"], 3)
    m["ingest_over_duckdb"] = round(m["ingest_s"] / m["duckdb_load_s"], 3)
    m["incremental_over_full"] = round(m["dbt_incremental_s"] / m["dbt_build_s"], 3)
    m.update(night_ratios(m))
    return m


def nights(scale: float, root: Path, partial: Path, new_day: Path, memory_limit: str) -> dict:
    """Two nights through Dagster (`mot run`), as the scheduler runs them: the full night from an
    empty warehouse on every day but the last (180 of 181), its peak RSS and its steps; then the
    incremental night that brings the last day into the same warehouse."""
    m: dict = {}
    night = root / "night"
    shutil.rmtree(night, ignore_errors=True)
    night.mkdir()
    (night / "dagster").mkdir()
    landing = night / "landing"
    shutil.copytree(partial, landing, copy_function=os.link)
    env = env_for(night / "warehouse.duckdb", landing, night, memory_limit)
    progress(scale, "the full night (mot run, from an empty warehouse)")
    with stopwatch(m, "night_s"), night_memory(m):
        completed = run([str(BIN / "mot"), "run"], env)
    m["night_steps_s"] = night_steps(night / "dagster", completed.stdout)
    m["duckdb_memory_limit"] = memory_limit
    os.link(new_day, landing / new_day.relative_to(partial.parent / "landing"))
    progress(scale, f"the incremental night (mot run, one new day: {new_day.name})")
    # A real night comes a day after the last: its incremental models read only loads newer than
    # the lookback. These nights are minutes apart, so the lookback would re-read every row.
    with stopwatch(m, "incremental_night_s"):
        completed = run([str(BIN / "mot"), "run"], {**env, "MOT_INCREMENTAL_LOOKBACK_HOURS": "0"})
    m["incremental_night_steps_s"] = night_steps(night / "dagster", completed.stdout)
    return m


def reference(scale: float, root: Path, landing: Path, memory_limit: str) -> dict:
    """The hand-written DuckDB pipeline of the same job on the same files (all 181 days)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import reference_pipeline

    progress(scale, "the hand-written reference pipeline")
    database = root / "reference.duckdb"
    started = time.perf_counter()
    steps = reference_pipeline.run(landing, database, memory_limit=memory_limit, threads=2)
    seconds = round(time.perf_counter() - started, 3)
    database.unlink(missing_ok=True)
    return {"reference_s": seconds, "reference_steps_s": steps}


def bench_engine_night(engine: str, scale: float, root: Path, seed: int, memory_limit: str) -> dict:
    """The whole night (`mot run`, from an empty warehouse) with dbt on another engine, in a database
    of its own on the server the settings name (`make postgres-up` starts the project's)."""
    from dataclasses import replace

    from orchestration.engines import postgres
    from orchestration.generator import generate
    from orchestration.settings import Settings

    if engine == "spark":
        return bench_spark_night(scale, root, seed, memory_limit)
    if engine != "postgres":
        raise SystemExit(f"no night benchmark for engine {engine!r} yet")
    shutil.rmtree(root, ignore_errors=True)
    (root / "dagster").mkdir(parents=True)
    m: dict = {"engine": engine, "scale": scale}
    with stopwatch(m, "generate_s"):
        truth = generate(root / "landing", scale=scale, seed=seed)
    m["prospects"] = truth["counts"]["prospects"]
    m["web_events"] = truth["counts"]["web_events_written"]
    server = replace(Settings.from_env().postgres, database=f"mot_bench_{str(scale).replace('.', '_')}")
    admin = replace(server, database="postgres")
    with postgres.connect(admin) as conn:
        conn.autocommit = True
        conn.cursor().execute(f"drop database if exists {server.database} with (force)")
        conn.cursor().execute(f"create database {server.database}")
    env = {**env_for(root / "warehouse.duckdb", root / "landing", root, memory_limit),
           "MOT_DBT_TARGET": engine, **server.environment()}
    try:
        with stopwatch(m, "night_s"), night_memory(m):
            completed = run([str(BIN / "mot"), "run"], env)
    finally:
        with postgres.connect(admin) as conn:
            conn.autocommit = True
            conn.cursor().execute(f"drop database if exists {server.database} with (force)")
    m["night_steps_s"] = night_steps(root / "dagster", completed.stdout)
    return m


def bench_spark_night(scale: float, root: Path, seed: int, memory_limit: str) -> dict:
    """The whole night (`mot run`, from an empty warehouse) with dbt on the Spark cluster the
    settings name (`make spark-up` starts the project's), its Parquet and metastore under root."""
    from orchestration.generator import generate
    from orchestration.settings import Settings

    shutil.rmtree(root, ignore_errors=True)
    (root / "dagster").mkdir(parents=True)
    m: dict = {"engine": "spark", "scale": scale}
    with stopwatch(m, "generate_s"):
        truth = generate(root / "landing", scale=scale, seed=seed)
    m["prospects"] = truth["counts"]["prospects"]
    m["web_events"] = truth["counts"]["web_events_written"]
    m["spark_master"] = Settings.from_env().spark_master
    env = {**env_for(root / "warehouse.duckdb", root / "landing", root, memory_limit),
           "MOT_DBT_TARGET": "spark", "MOT_SPARK_MASTER": m["spark_master"], "MOT_SPARK_DIR": str(root / "spark")}
    with stopwatch(m, "night_s"), night_memory(m):
        completed = run([str(BIN / "mot"), "run"], env)
    m["night_steps_s"] = night_steps(root / "dagster", completed.stdout)
    return m


def render_engine(results: list[dict]) -> str:
    lines = [f"{'engine':8} {'scale':>6} {'prospects':>9} {'web_events':>10} {'night_s':>8} {'peak_rss_gib':>12}"]
    lines += [f"{m['engine']:8} {m['scale']:>6g} {m['prospects']:>9} {m['web_events']:>10} {m['night_s']:>8} "
              f"{m['night_peak_rss_gib']:>12}" for m in results]
    for m in results:
        steps = sorted(m.get("night_steps_s", {}).items(), key=lambda item: -item[1])
        lines += ["", f"{m['engine']} x{m['scale']:g} night, seconds per Dagster step (longest first):"]
        lines += [f"  {seconds:8.1f}  {step}" for step, seconds in steps[:8]]
    return "\n".join(lines)


def definitions_load_s(repeat: int = 3) -> dict[str, float]:
    """Seconds, in a fresh interpreter, to import orchestration.definitions (which must do no work),
    and to import and build the definitions as a Dagster code location does (imports included:
    Dagster and dagster-dbt themselves take most of it). The best of `repeat` fresh interpreters: on
    a shared machine the slower ones measure the neighbours. `load_cpu` is the same load in CPU
    seconds, which a busy machine does not inflate."""
    code = ("import time; t = time.perf_counter(); import orchestration.definitions as d; "
            "print('import', time.perf_counter() - t); "
            "d.defs.resolve_asset_graph(); d.defs.resolve_all_job_defs(); print('load', time.perf_counter() - t); "
            "print('load_cpu', time.process_time())")
    runs = [_timed_interpreter(code) for _ in range(repeat)]
    return {key: min(run[key] for run in runs) for key in ("import", "load", "load_cpu")}


def definitions_load_floor_s(repeat: int = 3) -> dict[str, float]:
    """What no project can go below: `import dagster` alone, and with dagster-dbt (which imports
    dbt-core's adapters and contracts when dbt-core is installed beside it, as here), wall and CPU
    seconds, best of `repeat` fresh interpreters."""
    code = ("import time; t = time.perf_counter(); import dagster; print('dagster', time.perf_counter() - t); "
            "print('dagster_cpu', time.process_time()); import dagster_dbt; "
            "print('dagster_dbt', time.perf_counter() - t); print('dagster_dbt_cpu', time.process_time())")
    runs = [_timed_interpreter(code) for _ in range(repeat)]
    return {key: min(run[key] for run in runs) for key in runs[0]}


def _timed_interpreter(code: str) -> dict[str, float]:
    completed = run([sys.executable, "-W", "ignore", "-c", code], {**os.environ, "GX_ANALYTICS_ENABLED": "false"})
    figures = dict(line.split() for line in completed.stdout.strip().splitlines() if len(line.split()) == 2)
    return {name: round(float(value), 3) for name, value in figures.items()}


def verdicts(results: list[dict], load: dict[str, float] | None) -> list[tuple[str, str, str, bool]]:
    rows = [] if load is None else [("definitions import (s)", f"{load['import']}", f"<= {TARGETS['definitions_import_s']}",
             load["import"] <= TARGETS["definitions_import_s"]),
            ("definitions load, imports included (s)", f"{load['load']}", f"<= {TARGETS['definitions_load_s']}",
             load["load"] <= TARGETS["definitions_load_s"])]
    for m in results:
        s = m["scale"]
        # a --nights-only run measures no separate ingest or dbt: those rows are left out, not failed
        rows += [(f"x{s} {name}", f"{m[key]}", f"<= {TARGETS[key]}", m[key] <= TARGETS[key])
                 for name, key in (("dbt / bare DuckDB", "dbt_over_bare"), ("ingest / DuckDB load", "ingest_over_duckdb"),
                                   ("incremental / full", "incremental_over_full"))
                 if key in m]
        rows += reference_and_incremental_verdicts(m)
        if s == 100:
            rows += [
                ("x100 whole night (s)", f"{m['night_s']}", f"<= {TARGETS['night_s_at_scale_100']}",
                 m["night_s"] <= TARGETS["night_s_at_scale_100"]),
                ("x100 peak RSS (GiB)", f"{m['night_peak_rss_gib']}", f"<= {TARGETS['night_peak_rss_gib_at_scale_100']}",
                 m["night_peak_rss_gib"] <= TARGETS["night_peak_rss_gib_at_scale_100"]),
            ]
    if not results:
        return rows
    base = min(results, key=lambda m: m["scale"])
    for m in results:
        if m is base:
            continue
        per_unit = (m["night_s"] / m["scale"]) / (base["night_s"] / base["scale"])
        rows.append((f"x{base['scale']}→x{m['scale']} night time vs linear", f"{per_unit:.2f}",
                     f"1 ± {TARGETS['linearity_tolerance']}", abs(per_unit - 1) <= TARGETS["linearity_tolerance"]))
    return rows


def reference_and_incremental_verdicts(m: dict) -> list[tuple[str, str, str, bool]]:
    """The incremental night against the full night (bounds by scale), and the full night against
    the hand-written reference pipeline (at the scale the target names)."""
    s, rows = m["scale"], []
    bound = TARGETS["incremental_night_over_full_night"].get(s)
    if bound is not None:
        rows.append((f"x{s} incremental night / full night", f"{m['incremental_night_over_full_night']}",
                     f"<= {bound}", m["incremental_night_over_full_night"] <= bound))
    if s == TARGETS["night_over_reference_scale"]:
        rows.append((f"x{s} full night / reference pipeline", f"{m['night_over_reference']}",
                     f"<= {TARGETS['night_over_reference']}", m["night_over_reference"] <= TARGETS["night_over_reference"]))
    return rows


def render(results: list[dict], checks) -> str:
    columns = ["scale", "prospects", "web_events", "generate_s", "ingest_s", "ingest_rows_per_s", "duckdb_load_s",
               "dbt_models_s", "dbt_build_s", "bare_sql_s", "dbt_incremental_s", "night_s", "incremental_night_s",
               "reference_s", "night_peak_rss_gib", "night_peak_process_rss_gib"]
    widths = [max([len(c), *(len(str(m.get(c, "-"))) for m in results)]) for c in columns]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(str(m.get(c, "-")).rjust(w) for c, w in zip(columns, widths)) for m in results]
    lines += ["", "target                                   value      target       met"]
    lines += [f"{name:40} {value:>10} {target:>12}  {'met' if ok else 'NOT MET'}" for name, value, target, ok in checks]
    for m in results:
        steps = sorted(m.get("night_steps_s", {}).items(), key=lambda item: -item[1])
        lines += ["", f"x{m['scale']} night, seconds per Dagster step (longest first):"]
        lines += [f"  {seconds:8.1f}  {step}" for step, seconds in steps[:12]]
        lines += [f"x{m['scale']} incremental night, seconds per Dagster step (longest first):"]
        steps = sorted(m.get("incremental_night_steps_s", {}).items(), key=lambda item: -item[1])
        lines += [f"  {seconds:8.1f}  {step}" for step, seconds in steps[:8]]
        lines += [f"x{m['scale']} reference pipeline, seconds per step: {m.get('reference_steps_s')}"]
    return "\n".join(lines)


def report_scale_so_far(results: list[dict], out: Path) -> None:
    """A scale's figures and verdicts as soon as it is done: a long run stopped at a larger scale
    still leaves the smaller scales' table and JSON (out, with .partial before the suffix)."""
    print(render(results, verdicts(results, None)), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".partial" + out.suffix).write_text(json.dumps({"results": results}, indent=2))


def render_load_floor(load: dict[str, float], floor: dict[str, float]) -> str:
    return "\n".join([
        "", "definitions load against its floor (best of 3 fresh interpreters; seconds wall / CPU):",
        f"  import dagster                      {floor['dagster']:6.2f} / {floor['dagster_cpu']:5.2f}",
        f"  import dagster + dagster_dbt        {floor['dagster_dbt']:6.2f} / {floor['dagster_dbt_cpu']:5.2f}",
        f"  this project's definitions, loaded  {load['load']:6.2f} / {load['load_cpu']:5.2f}",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0],
                        help="scales to run (1 = 10,000 prospects; 100 = 1 M prospects / ~50 M web events)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=PROJECT_DIR / "benchmarks" / "work")
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "benchmarks" / "results.json")
    parser.add_argument("--definitions-only", action="store_true",
                        help="measure only how long the definitions take to import and load")
    parser.add_argument("--nights-only", action="store_true",
                        help="per scale only the two nights and the reference pipeline (no separate ingest, "
                             "dbt and bare-SQL runs): the night targets at 100x in about an hour less")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and the night's warehouse")
    parser.add_argument("--engine", choices=["duckdb", "postgres", "spark"], default="duckdb",
                        help="duckdb: the full benchmark; postgres, spark: the whole night with MOT_DBT_TARGET=<engine>")
    parser.add_argument("--memory-limit", default=os.environ.get("MOT_DUCKDB_MEMORY_LIMIT", "3GB"),
                        help="DuckDB memory_limit of every step (the night's peak RSS target is 4 GiB)")
    args = parser.parse_args(argv)

    if args.engine != "duckdb":
        nights = []
        for scale in args.scale:
            print(f"{args.engine} scale {scale:g}: running…", flush=True)
            root = args.workdir / f"{args.engine}-scale-{scale:g}"
            nights.append(bench_engine_night(args.engine, scale, root, args.seed, args.memory_limit))
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
            # written after each scale: a long night at the next scale does not lose this one's figures
            print(render_engine(nights[-1:]), flush=True)
            out = args.out.with_name(f"{args.out.stem}-{args.engine}{args.out.suffix}")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps({"results": nights, "machine": {"cpus": os.cpu_count()}}, indent=2))
        print(f"\n{render_engine(nights)}\n\nwrote {out}")
        return 0

    results = []
    if args.definitions_only:
        args.scale = []
    for scale in args.scale:
        root = args.workdir / f"scale-{scale:g}"
        print(f"scale {scale:g}: running…", flush=True)
        measure = bench_nights_only if args.nights_only else bench_scale
        results.append(measure(scale, root, args.seed, args.memory_limit))
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        report_scale_so_far(results, args.out)
    print("definitions load, best of 3 fresh interpreters, and its floor…", flush=True)
    load_s = definitions_load_s()
    floor = definitions_load_floor_s()
    checks = verdicts(results, load_s)
    print(render(results, checks))
    print(render_load_floor(load_s, floor))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "results": results,
        "definitions_import_s": load_s["import"],
        "definitions_load_s": load_s["load"],
        "definitions_load_cpu_s": load_s["load_cpu"],
        "definitions_load_floor_s": floor,
        "targets": [{"target": n, "value": v, "bound": t, "met": ok} for n, v, t, ok in checks],
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "duckdb": duckdb.__version__},
    }, indent=2))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
