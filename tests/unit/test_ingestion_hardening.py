"""A mapping file computes values and nothing else: a name with double quotes in it cannot end its
identifier and go on as SQL, in any format, and a pad length cannot ask for gigabytes. Real DuckDB,
real files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import ConfigError, ingest_table, load_config
from orchestration.ingestion import expressions

# Reads a file of the machine if the name could close its identifier: "x"" -- ..." would end at the
# doubled quote, and the rest would be SQL.
ESCAPE = 'x"" , (select string_agg(content, \'|\') from read_text(\'/etc/host*\')) as ""line'

EVENTS = """\
sources:
  web:
    timezone: UTC
    tables:
      events:
        files: "web/*.%s"
        format: %s
        columns:
          event_timestamp_micros: ts
          event_name: %s
          user_pseudo_id: "user"
"""


@pytest.fixture()
def conn(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def write_events(target: Path, file_format: str, conn) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"ts": 1, "user": "u1", "name": "page_view"}]
    if file_format == "ndjson":
        target.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif file_format == "csv":
        target.write_text("ts,user,name\n1,u1,page_view\n")
    else:
        conn.execute(f"copy (select 1 as ts, 'u1' as \"user\", 'page_view' as name) to '{target}' (format parquet)")


def raw_text(conn) -> str:
    tables = [r[0] for r in conn.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()]
    return " ".join(str(conn.execute(f"select * from raw.{t}").fetchall()) for t in tables)


@pytest.mark.parametrize("file_format", ["ndjson", "csv", "parquet"])
@pytest.mark.parametrize("mapping", [
    json.dumps({"expr": f'coalesce("{ESCAPE}", "name")'}),  # inside an expression
    json.dumps(ESCAPE.replace('""', '"')),                   # a bare column name (from:)
])
def test_a_quoted_name_never_runs_as_sql(tmp_path, conn, file_format, mapping):
    path = tmp_path / "s.yml"
    path.write_text(EVENTS % (file_format, file_format, mapping))
    write_events(tmp_path / "landing" / "web" / f"events_1.{file_format}", file_format, conn)
    try:
        specs = load_config(path)
    except ConfigError:
        return  # refused when the configuration loads: nothing ran
    spec = next(s for s in specs if s.raw_table == "web_events")
    reports = ingest_table(conn, spec, tmp_path / "landing")
    hosts = Path("/etc/hosts").read_text().split()
    loaded = raw_text(conn)
    assert not any(word in loaded for word in hosts if len(word) > 6), loaded[:500]
    # the name is a (missing) column of the export: the file is refused with that name, or loads it as NULL
    assert all(r.status in {"rejected", "loaded"} for r in reports), [r.message for r in reports]


def test_pad_lengths_are_capped():
    sql = expressions.render("lpad(\"Phone\", 100000000, '0')", lambda name: "c1")
    [(value,)] = duckdb.connect().execute(f"select length({sql}) from (select '12' as c1)").fetchall()
    assert value == expressions.MAX_PAD_LENGTH
    short = expressions.render("rpad(\"Phone\", 4, '0')", lambda name: "c1")
    assert duckdb.connect().execute(f"select {short} from (select '12' as c1)").fetchone() == ("1200",)


# -- files: globs stay inside the landing folder ------------------------------------------------------

TIME_LOGS = """\
sources:
  crm:
    timezone: UTC
    tables:
      time_logs:
        files: %s
        format: csv
        columns:
          owner_id: Owner
          logged_on: Day
          hours: Hours
"""


@pytest.mark.parametrize("pattern", ["../../../../etc/passwd", "../sibling/*.csv", "crm/../../x.csv", "/etc/passwd",
                                     "~/exports/*.csv"])
def test_a_files_pattern_that_leaves_the_landing_folder_is_a_configuration_error(tmp_path, pattern):
    path = tmp_path / "s.yml"
    path.write_text(TIME_LOGS % json.dumps(pattern))
    with pytest.raises(ConfigError, match=r"sources\.crm\.tables\.time_logs\.files: .*(absolute|leaves the landing folder)"):
        load_config(path)


def test_a_symbolic_link_out_of_the_landing_folder_is_not_read(tmp_path, conn):
    outside = tmp_path / "elsewhere" / "logs.csv"
    outside.parent.mkdir()
    outside.write_text("Owner,Day,Hours\nsecret,2026-01-01,8\n")
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "crm" / "time_logs.csv").write_text("Owner,Day,Hours\no1,2026-01-02,7\n")
    (landing / "crm" / "time_logs_linked.csv").symlink_to(outside)
    (landing / "crm" / "more").symlink_to(outside.parent, target_is_directory=True)
    path = tmp_path / "s.yml"
    path.write_text(TIME_LOGS % '"crm/**/time_logs*.csv"')
    spec = next(s for s in load_config(path) if s.raw_table == "crm_time_logs")
    assert [p.name for p in spec.landing_files(landing)] == ["time_logs.csv"]
    reports = {r.source_file: r for r in ingest_table(conn, spec, landing)}
    assert sorted(reports) == ["crm/time_logs.csv", "crm/time_logs_linked.csv"]
    assert reports["crm/time_logs.csv"].status == "loaded"
    link = reports["crm/time_logs_linked.csv"]
    assert link.status == "rejected" and "outside the landing folder" in link.message
    assert "sources.crm.tables.time_logs" in link.message  # the mapping key to look at
    assert conn.execute("select owner_id from raw.crm_time_logs").fetchall() == [("o1",)]
    assert conn.execute("select count(*) from ingest.load_log where status = 'rejected' "
                        "and source_file = 'crm/time_logs_linked.csv'").fetchone() == (1,)


# -- the raw tables follow the files and the configuration, not the history -------------------------

def test_a_changed_mapping_or_time_zone_loads_the_same_files_again(tmp_path, conn):
    from orchestration.ingestion.loader import mapping_fingerprint

    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "crm" / "time_logs.csv").write_text("Owner,Day,Hours,Rep\no1,2026-01-02,7,r1\n")
    path = tmp_path / "s.yml"
    path.write_text(TIME_LOGS % '"crm/time_logs*.csv"')
    first = next(s for s in load_config(path) if s.raw_table == "crm_time_logs")
    [report] = ingest_table(conn, first, landing)
    assert report.status == "loaded"
    [again] = ingest_table(conn, first, landing)
    assert again.status == "unchanged"  # same bytes, same mapping: nothing to do

    path.write_text((TIME_LOGS % '"crm/time_logs*.csv"').replace("owner_id: Owner", "owner_id: Rep"))
    remapped = next(s for s in load_config(path) if s.raw_table == "crm_time_logs")
    assert mapping_fingerprint(remapped) != mapping_fingerprint(first)
    [report] = ingest_table(conn, remapped, landing)
    assert report.status == "replaced" and "mapping changed" in report.message
    assert conn.execute("select owner_id from raw.crm_time_logs").fetchall() == [("r1",)]  # not both

    path.write_text((TIME_LOGS % '"crm/time_logs*.csv"').replace("owner_id: Owner", "owner_id: Rep")
                    .replace("timezone: UTC", "timezone: Europe/Berlin"))
    [report] = ingest_table(conn, next(s for s in load_config(path) if s.raw_table == "crm_time_logs"), landing)
    assert report.status == "replaced"
    assert conn.execute("select count(*), min(_source_timezone) from raw.crm_time_logs").fetchone() == (1, "Europe/Berlin")
