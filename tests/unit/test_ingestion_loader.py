"""The loader on small hand-written files: quarantine, reconciliation, idempotence, replacement."""

from __future__ import annotations

import gzip
import json

import duckdb
import pytest

from orchestration.ingestion import ingest_table, load_config

SPECS = {spec.raw_table: spec for spec in load_config()}
OWNERS_HEADER = '"Owner ID","First Name","Last Name","Email","Team","Role","Qualified"\n'


@pytest.fixture()
def conn(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def write(path, text, mode="w"):
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "gz":
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def quarantine(conn, table):
    return conn.execute(
        "select row_number, line_number, column_name, reason from ingest.quarantine "
        "where raw_table = ? order by row_number", [table]
    ).fetchall()


def test_bad_rows_are_quarantined_with_row_column_and_reason(tmp_path, conn):
    write(tmp_path / "crm/owners.csv", OWNERS_HEADER
          + "1,Ann,Lee,ann@example.com,East,SDR,true\n"
          + '2,Bob,"Ray\nJr",bob@example.com,East,AE,maybe\n'   # quoted newline; bad boolean
          + "3,Cy,Doe\n"                                         # too few fields
          + ",Di,Fox,di@example.com,West,AE,false\n")            # required id missing
    [report] = ingest_table(conn, SPECS["crm_owners"], tmp_path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (4, 1, 3)
    assert quarantine(conn, "crm_owners") == [
        (2, 3, "is_qualified", "is_qualified: 'maybe' is not a boolean"),
        (3, 5, None, "expected 7 fields, found 3"),
        (4, 6, "owner_id", "owner_id: required value is missing"),
    ]
    assert conn.execute("select owner_id, is_qualified, _row_number from raw.crm_owners").fetchall() == [("1", True, 1)]


def test_unparseable_timestamp_and_number_name_their_column(tmp_path, conn):
    header = '"Owner ID","Date","Activity","Hours"\n'
    write(tmp_path / "crm/time_logs.csv", header + "7,2026-01-05,outreach,2.5\n7,2026-02-30,outreach,1\n7,2026-01-06,admin,lots\n")
    [report] = ingest_table(conn, SPECS["crm_time_logs"], tmp_path)
    assert report.rows_read == report.rows_loaded + report.rows_quarantined == 3
    reasons = {row[2]: row[3] for row in quarantine(conn, "crm_time_logs")}
    assert reasons == {"logged_on": "logged_on: '2026-02-30' is not a valid date",
                       "hours": "hours: 'lots' is not a valid double"}


def test_reingesting_an_unchanged_file_is_a_no_op(tmp_path, conn):
    write(tmp_path / "crm/owners.csv", OWNERS_HEADER + "1,Ann,Lee,a@example.com,East,SDR,true\n3,Cy\n")
    first = ingest_table(conn, SPECS["crm_owners"], tmp_path)
    second = ingest_table(conn, SPECS["crm_owners"], tmp_path)
    assert [r.status for r in first] == ["loaded"] and [r.status for r in second] == ["unchanged"]
    assert conn.execute("select count(*) from raw.crm_owners").fetchone()[0] == 1
    assert conn.execute("select count(*) from ingest.quarantine").fetchone()[0] == 1
    assert conn.execute("select count(*) from ingest.load_log").fetchone()[0] == 1


def test_a_file_replaced_under_the_same_name_replaces_its_rows(tmp_path, conn):
    path = write(tmp_path / "crm/owners.csv", OWNERS_HEADER + "1,Ann,Lee,a@example.com,East,SDR,true\n2,Bo\n")
    ingest_table(conn, SPECS["crm_owners"], tmp_path)
    write(path, OWNERS_HEADER + "1,Ann,Lee,a@example.com,East,AE,true\n2,Bob,Ray,b@example.com,West,AE,false\n")
    [report] = ingest_table(conn, SPECS["crm_owners"], tmp_path)
    assert report.status == "replaced" and report.rows_loaded == 2
    assert conn.execute("select owner_id, role from raw.crm_owners order by 1").fetchall() == [("1", "AE"), ("2", "AE")]
    assert quarantine(conn, "crm_owners") == []


def test_missing_required_column_rejects_the_file_and_names_the_mapping(tmp_path, conn):
    write(tmp_path / "crm/owners.csv", '"First Name","Last Name","Email","Team","Role","Qualified"\nAnn,,,East,,\n')
    [report] = ingest_table(conn, SPECS["crm_owners"], tmp_path)
    assert report.status == "rejected"
    assert "'Owner ID' (-> owner_id)" in report.message
    assert "sources.crm.tables.owners.columns" in report.message
    assert "crm/owners.csv" in report.message


def test_ndjson_lines_flatten_ga4_params_and_keep_long_ids_as_text(tmp_path, conn):
    event = {
        "event_date": "20260105", "event_timestamp": 1767600000123456, "event_name": "form_submit",
        "user_pseudo_id": "1234567890123456789.1767600000", "user_id": "000123",
        "event_params": [{"key": "ga_session_id", "value": {"int_value": 1767600000}},
                         {"key": "contact_method", "value": {"string_value": "phone"}}],
        "collected_traffic_source": {"manual_source": "google", "manual_medium": "cpc"},
        "device": {"category": "mobile"},
    }
    write(tmp_path / "web/events_20260105.ndjson",
          json.dumps(event) + "\n" + "{not json\n" + json.dumps({**event, "event_timestamp": "soon"}) + "\n")
    [report] = ingest_table(conn, SPECS["web_events"], tmp_path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 1, 2)
    row = conn.execute(
        "select user_pseudo_id, user_id, ga_session_id, requested_contact_method, traffic_medium, "
        "device_category, event_timestamp_micros from raw.web_events"
    ).fetchone()
    assert row == ("1234567890123456789.1767600000", "000123", 1767600000, "phone", "cpc", "mobile", 1767600000123456)
    assert [r[:3] for r in quarantine(conn, "web_events")] == [(2, 2, None), (3, 3, "event_timestamp_micros")]


def test_gzip_bom_and_crlf_are_read(tmp_path, conn):
    write(tmp_path / "crm/owners.csv.gz", "\ufeff" + OWNERS_HEADER.replace("\n", "\r\n")
          + "1,Ann,Lee,a@example.com,East,SDR,true\r\n", mode="gz")
    spec = SPECS["crm_owners"]
    [report] = ingest_table(conn, type(spec)(**{**spec.__dict__, "files": "crm/owners*.csv*"}), tmp_path)
    assert report.rows_loaded == 1 and report.rows_quarantined == 0
    assert conn.execute("select owner_id, is_qualified from raw.crm_owners").fetchall() == [("1", True)]


def test_json_lines_files_loaded_together_keep_their_own_line_numbers_and_reports(tmp_path, conn, monkeypatch):
    """Many shards in one load: each file's rows are numbered, counted and reported on their own;
    a rejected file, an empty file and a twin do not stop the others. A tiny batch size splits the
    load into several transactions, which must not change the outcome."""
    import orchestration.ingestion.loader as loader

    monkeypatch.setattr(loader, "BATCH_BYTES", 600)
    good = json.dumps({"event_timestamp": 1767600000000000, "event_name": "page_view", "user_pseudo_id": "u1"})
    write(tmp_path / "web/events_20260101.ndjson", good + "\n" + good + "\n")
    (tmp_path / "web/events_20260102.ndjson").write_bytes(
        good.encode() + b"\n" + good.replace("u1", "u\xff").encode("latin-1") + b"\n\n" + b"[1]\n" + good.encode() + b"\n"
    )
    write(tmp_path / "web/events_20260103.ndjson", json.dumps({"event_timestamp": 1, "event_name": "x"}) + "\n")
    write(tmp_path / "web/events_20260104.ndjson", "")
    write(tmp_path / "web/events_20260105.ndjson", good + "\n" + good + "\n")  # same bytes as the 1st
    write(tmp_path / "web/events_20260106.ndjson", "\n".join([good] * 5) + "\n")

    reports = {r.source_file.removeprefix("web/events_"): r for r in ingest_table(conn, SPECS["web_events"], tmp_path)}
    summary = {name: (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) for name, r in reports.items()}
    assert summary == {
        "20260101.ndjson": ("loaded", 2, 2, 0),
        "20260102.ndjson": ("loaded", 4, 2, 2),
        "20260103.ndjson": ("rejected", 0, 0, 0),
        "20260104.ndjson": ("empty", 0, 0, 0),
        "20260105.ndjson": ("duplicate", 0, 0, 0),
        "20260106.ndjson": ("loaded", 5, 5, 0),
    }
    assert "user_pseudo_id" in reports["20260103.ndjson"].message
    assert conn.execute(
        "select source_file, line_number, reason like 'unreadable line%' from ingest.quarantine order by 1, 2"
    ).fetchall() == [("web/events_20260102.ndjson", 2, True), ("web/events_20260102.ndjson", 4, False)]
    assert conn.execute(
        "select _source_file, list(_row_number order by _row_number) from raw.web_events group by 1 order by 1"
    ).fetchall() == [("web/events_20260101.ndjson", [1, 2]), ("web/events_20260102.ndjson", [1, 5]),
                     ("web/events_20260106.ndjson", [1, 2, 3, 4, 5])]
    assert conn.execute("select count(distinct load_id) from ingest.load_log where status = 'loaded'").fetchone()[0] > 1


def test_clean_json_lines_files_read_typed_give_what_the_line_reader_gives(tmp_path, monkeypatch):
    """Clean shards are read by DuckDB's JSON reader (typed, no line text); the rest line by line.
    Both must stage the same rows: values, GA4 parameters, the event_params text (part of an
    event's identity downstream), row numbers across many files in one scan, and a quarantined
    row's line number and raw line."""
    import orchestration.ingestion.json_staging as json_staging

    def event(i, **changes):
        record = {
            "event_date": "20260101", "event_timestamp": 1767600000000000 + i, "event_name": "page_view",
            "event_params": [
                {"key": "ga_session_id", "value": {"string_value": None, "int_value": 1767600000 + i, "double_value": None}},
                {"key": "page_location", "value": {"string_value": f" https://example.com/{i}?utm_source=x ",
                                                   "int_value": None, "double_value": 1.50}},
            ],
            "user_id": None if i % 3 else f"{10**18 + i}", "user_pseudo_id": f"u{i}.{i}",
            "device": {"category": ["desktop", "mobile", None][i % 3]},
            "collected_traffic_source": {"manual_source": "linkedin", "manual_medium": 7, "manual_campaign_name": {"a": [1]}},
            "traffic_source": {"name": "(direct)"},
        }
        return json.dumps({**record, **changes}, separators=(", ", ": "))  # not minified: text is normalised

    shards = {
        "web/events_20260101.ndjson": [event(i) for i in range(7)],
        "web/events_20260102.ndjson": [event(10 + i) for i in range(5)] + [event(99, event_timestamp="soon")],
        "web/events_20260103.ndjson": [event(20 + i) for i in range(4)],
    }
    for name, lines in shards.items():
        write(tmp_path / "fast" / name, "\n".join(lines))  # no newline after the last line
        write(tmp_path / "slow" / name, "\n".join(lines))

    def load(folder):
        conn = duckdb.connect(str(tmp_path / f"{folder}.duckdb"))
        reports = ingest_table(conn, SPECS["web_events"], tmp_path / folder)
        raw = conn.execute(
            "select * exclude (_loaded_at, _load_id) from raw.web_events order by _source_file, _row_number"
        ).fetchall()
        held = conn.execute(
            "select source_file, row_number, line_number, column_name, reason, raw_record from ingest.quarantine"
        ).fetchall()
        # the loader owns the temporary tables staging used (its scratch and its checked rows): all dropped
        assert conn.execute("select table_name from duckdb_tables() where temporary").fetchall() == []
        return [(r.source_file, r.rows_read, r.rows_loaded, r.rows_quarantined) for r in reports], raw, held

    staged_typed = []
    real_read_clean = json_staging._read_clean

    def recording(*args):
        clean = real_read_clean(*args)
        staged_typed.extend(clean)
        return clean

    monkeypatch.setattr(json_staging, "_read_clean", recording)
    fast = load("fast")
    assert sorted(staged_typed) == sorted(shards)  # every file was clean: none went line by line
    monkeypatch.setattr(json_staging, "_read_clean", lambda *a: {})
    slow = load("slow")
    assert fast == slow
    reports, raw, held = fast
    assert reports[1] == ("web/events_20260102.ndjson", 6, 5, 1)
    assert held == [("web/events_20260102.ndjson", 6, 6, "event_timestamp_micros",
                     "event_timestamp_micros: 'soon' is not a valid bigint", shards["web/events_20260102.ndjson"][5])]
    assert [(r[-5], r[-4]) for r in raw][:8] == [("web/events_20260101.ndjson", n) for n in range(1, 8)] + [
        ("web/events_20260102.ndjson", 1)]
