"""The whole night on Spark (MOT_DBT_TARGET=spark) publishes what the DuckDB target publishes.

Needs a running standalone cluster (`make spark-up`, or MOT_SPARK_MASTER for another one) and
MOT_TEST_ENGINES naming `spark`. Each run keeps its raw Parquet, Spark tables and metastore in its
own temporary folder.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from engine_fixtures import duckdb_baseline, engine_sample, restored_environ  # noqa: F401 (fixtures)
from engine_nights import duckdb_settings, enabled_engines, run_night
from published_equality import differences, table_count

from orchestration.settings import Settings

pytestmark = [
    pytest.mark.engine_spark,
    pytest.mark.slow,
    pytest.mark.skipif("spark" not in enabled_engines(), reason="MOT_TEST_ENGINES does not name spark"),
]


@pytest.fixture
def spark_master() -> str:
    master = Settings.from_env().spark_master
    if not master.startswith("spark://"):
        pytest.fail("no standalone cluster: run `make spark-up` (or set MOT_SPARK_MASTER=spark://host:port)")
    return master


def test_the_spark_night_publishes_what_the_duckdb_night_publishes(
        duckdb_baseline, engine_sample, spark_master, tmp_path, restored_environ):
    settings = replace(duckdb_settings(tmp_path, engine_sample), dbt_target="spark",
                       spark_master=spark_master, spark_dir=tmp_path / "spark")

    result = run_night(settings)

    failed = [event.step_key for event in result.all_events if event.is_step_failure]
    assert result.success, f"the Spark night failed at {failed}"
    # It built on Spark: the raw tables and the ingest log went to Parquet row for row, and every
    # published table is one Spark wrote (the marts read back hold its rows).
    spark_dir = Path(settings.spark_data_dir)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as duck:
        tables = duck.execute("""select schema_name, table_name from duckdb_tables()
                                 where schema_name in ('raw', 'ingest', 'marts') order by 1, 2""").fetchall()
        for schema, table in tables:
            folder = spark_dir / ("tables/marts.db" if schema == "marts" else f"raw/{schema}") / table
            parquet = duck.execute(f"select count(*) from read_parquet('{folder}/*.parquet')").fetchone()[0]
            in_duckdb = duck.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            assert parquet == in_duckdb, f"{schema}.{table}: {parquet} rows in Spark's Parquet, {in_duckdb} in DuckDB"
        assert duck.execute("select count(*) from raw.web_events").fetchone()[0] > 10_000
    assert len([t for s, t in tables if s == "marts"]) == table_count(settings.published_path)
    assert table_count(duckdb_baseline.published_path) >= 20
    # floats within published_equality.FLOAT_REL_TOL / FLOAT_ABS_TOL (1e-9), everything else exact
    assert differences(duckdb_baseline.published_path, settings.published_path) == []
