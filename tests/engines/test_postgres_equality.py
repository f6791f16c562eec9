"""The whole night on PostgreSQL (MOT_DBT_TARGET=postgres) publishes what the DuckDB target publishes.

Needs a running server (`make postgres-up`, or MOT_PG_* for another one) and MOT_TEST_ENGINES
naming `postgres`; each run builds in a database of its own, dropped afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import duckdb
import pytest
from engine_fixtures import duckdb_baseline, engine_sample, restored_environ  # noqa: F401 (fixtures)
from engine_nights import duckdb_settings, enabled_engines, run_night
from published_equality import differences, table_count

from orchestration.engines import postgres
from orchestration.settings import Settings

pytestmark = [
    pytest.mark.engine_postgres,
    pytest.mark.slow,
    pytest.mark.skipif("postgres" not in enabled_engines(), reason="MOT_TEST_ENGINES does not name postgres"),
]


@pytest.fixture
def postgres_database():
    """A fresh database on the configured server, dropped after the test."""
    server = Settings.from_env().postgres
    name = f"mot_test_{uuid.uuid4().hex[:10]}"
    with postgres.connect(replace(server, database="postgres")) as admin:
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f"create database {name}")
    yield replace(server, database=name)
    with postgres.connect(replace(server, database="postgres")) as admin:
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {name} with (force)")


def test_the_postgres_night_publishes_what_the_duckdb_night_publishes(
        duckdb_baseline, engine_sample, postgres_database, tmp_path, restored_environ):
    settings = replace(duckdb_settings(tmp_path, engine_sample), dbt_target="postgres", postgres=postgres_database)

    result = run_night(settings)

    failed = [event.step_key for event in result.all_events if event.is_step_failure]
    assert result.success, f"the PostgreSQL night failed at {failed}"
    # It built in PostgreSQL: the raw tables and the ingest log landed there row for row, and the
    # marts published are the ones dbt built there.
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as duck, \
            postgres.connect(postgres_database) as pg, pg.cursor() as cur:
        for schema, table in duck.execute(
                """select schema_name, table_name from duckdb_tables()
                   where schema_name in ('raw', 'ingest', 'marts') order by 1, 2""").fetchall():
            cur.execute(f'select count(*) from {schema}."{table}"')
            in_postgres = cur.fetchone()[0]
            in_duckdb = duck.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            assert in_postgres == in_duckdb, f"{schema}.{table}: {in_postgres} rows in PostgreSQL, {in_duckdb} in DuckDB"
        cur.execute("select count(*) from information_schema.tables where table_schema = 'marts'")
        assert cur.fetchone()[0] == table_count(settings.published_path)
        cur.execute("select count(*) from raw.web_events")
        assert cur.fetchone()[0] > 10_000
    assert table_count(duckdb_baseline.published_path) >= 20
    # floats within published_equality.FLOAT_REL_TOL / FLOAT_ABS_TOL (1e-9), everything else exact
    assert differences(duckdb_baseline.published_path, settings.published_path) == []
