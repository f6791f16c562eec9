"""A failed night loses nothing: SIGKILL during ingest, dbt and publish; the same night twice.

One throwaway warehouse lives through a whole bad week in order: its BI file starts as a copy of
the baseline's (an uninterrupted night on the same sample). Each kill must leave that file
byte-for-byte as it was; the run after each kill must get past the point the last one died at;
the last run must publish exactly the baseline's marts (content checksums per table).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import publish_manifest, table_checksums

from wap_fixtures import copy_published, mot_env, run_mot


# When each source last brought new rows is the warehouse's load history: a night recovered after
# kills loaded its files at other times than the uninterrupted baseline, with the same data.
LOAD_HISTORY_COLUMNS = {"mart_coverage": {"last_new_rows_at", "has_new_rows_in_latest_load"}}


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_run_ids(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {entry["run_id"] for entry in publish_manifest(conn).values()}


def raw_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by 1").fetchall()]
        return {t: conn.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}


class Night:
    def __init__(self, root: Path, landing: Path, baseline):
        self.root, self.baseline = root, baseline
        self.env = mot_env(root, landing)
        self.published = copy_published(baseline, root)
        self.warehouse = root / "warehouse" / "warehouse.duckdb"
        self.digest = file_digest(self.published)
        self.log: list[str] = []

    def assert_bi_file_untouched(self) -> None:
        assert file_digest(self.published) == self.digest, "a killed run changed the published file"
        with duckdb.connect(str(self.published), read_only=True) as bi:  # and it still opens cleanly
            assert len({e["run_id"] for e in publish_manifest(bi).values()}) == 1


@pytest.fixture(scope="module")
def night(small_sample, baseline, tmp_path_factory) -> Night:
    return Night(tmp_path_factory.mktemp("faulty_night"), small_sample, baseline)


def test_killed_during_ingest_leaves_published_marts_unchanged(night):
    # The first raw table is loaded: the other ingestion steps are under way when the group dies.
    run = run_mot(night.env, kill_when=lambda line: bool(line and re.search(r"raw\.crm_contacts: \d+ files", line)))
    night.log.append(f"ingest kill after {run.seconds:.1f}s")
    assert run.killed, run.output[-3000:]
    assert "nightly job" not in run.output  # it died; it did not finish
    night.assert_bi_file_untouched()
    assert raw_counts(night.warehouse) != raw_counts(night.baseline.warehouse)  # ingest was cut short


def test_killed_during_dbt_leaves_published_marts_unchanged(night):
    run = run_mot(night.env, kill_when=lambda line: bool(line and re.search(r"\d+ of \d+ OK (created|loaded)", line)))
    night.log.append(f"dbt kill after {run.seconds:.1f}s")
    assert run.killed, run.output[-3000:]
    assert "Running dbt command" in run.output
    night.assert_bi_file_untouched()
    # the run after the ingest kill finished loading: raw tables now match an uninterrupted night
    assert raw_counts(night.warehouse) == raw_counts(night.baseline.warehouse)


def test_killed_during_publish_leaves_published_marts_unchanged(night):
    publish_dir = night.published.parent

    def scratch_file_appeared(line):
        return line is None and any(publish_dir.glob(".marts.duckdb.*.tmp"))

    run = run_mot(night.env, kill_when=scratch_file_appeared)
    night.log.append(f"publish kill after {run.seconds:.1f}s")
    assert run.killed, "the run finished before its scratch file was seen:\n" + run.output[-3000:]
    night.assert_bi_file_untouched()
    assert list(publish_dir.glob(".marts.duckdb.*.tmp*")), "expected the killed publish's scratch file"


def test_the_next_run_completes_with_the_same_result_as_an_uninterrupted_night(night):
    run = run_mot(night.env)
    night.log.append(f"recovery run {run.seconds:.1f}s")
    assert run.returncode == 0, run.output[-6000:]
    assert table_checksums(night.published, LOAD_HISTORY_COLUMNS, double_decimals=9) == \
        table_checksums(night.baseline.published, LOAD_HISTORY_COLUMNS, double_decimals=9)
    assert manifest_run_ids(night.published) != manifest_run_ids(night.baseline.published)  # really republished
    assert not list(night.published.parent.glob(".marts.duckdb.*")), "stale scratch files were not cleared"
    assert raw_counts(night.warehouse) == raw_counts(night.baseline.warehouse)


def test_the_same_night_twice_gives_identical_marts(night):
    # doubles to 9 decimals: a rebuild may add floats in another order (last-bit differences); the
    # load history (when a source last brought rows) is the warehouse's history, not its data
    before = table_checksums(night.published, LOAD_HISTORY_COLUMNS, double_decimals=9)
    run_ids = manifest_run_ids(night.published)
    run = run_mot(night.env, args=("--force",))  # nothing new landed: without --force nothing is republished
    night.log.append(f"same night again {run.seconds:.1f}s")
    assert run.returncode == 0, run.output[-6000:]
    assert manifest_run_ids(night.published) != run_ids
    after = table_checksums(night.published, LOAD_HISTORY_COLUMNS, double_decimals=9)
    assert after == before
    assert sum(rows for rows, _ in after.values()) > 0
