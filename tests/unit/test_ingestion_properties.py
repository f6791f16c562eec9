"""Property-based: whatever a CSV or JSON-lines export holds, every row read is loaded or
quarantined, exactly once, values round-trip, and loading again changes nothing."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orchestration.ingestion import ingest_table, load_config
from orchestration.ingestion.expressions import ExpressionError, tokenize

SPECS = {spec.raw_table: spec for spec in load_config()}
OWNERS = SPECS["crm_owners"]
HEADER = ["Owner ID", "First Name", "Last Name", "Email", "Team", "Role", "Qualified"]
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
row = st.tuples(
    st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=20)),  # owner id, maybe missing
    text, text, text, text, text,
    st.sampled_from(["true", "false", "yes", "0", "", "maybe"]),
).map(list)
ragged = st.lists(text, min_size=1, max_size=9)  # a record with the wrong number of fields


def load(files: dict[str, bytes], spec=OWNERS):
    with tempfile.TemporaryDirectory() as scratch:
        landing = Path(scratch)
        for name, content in files.items():
            (landing / name).parent.mkdir(parents=True, exist_ok=True)
            (landing / name).write_bytes(content)
        conn = duckdb.connect()
        reports = ingest_table(conn, spec, landing)
        again = ingest_table(conn, spec, landing)
        raw = conn.execute(f"select * from raw.{spec.raw_table} order by _source_file, _row_number").fetchall()
        quarantined = conn.execute("select count(*) from ingest.quarantine").fetchone()[0]
        # a loaded file is not loaded again; a rejected or empty one is looked at again, to the same end
        assert [r.status for r in again] == [r.status if r.status in ("rejected", "empty") else "unchanged"
                                             for r in reports]
        assert conn.execute(f"select * from raw.{spec.raw_table} order by _source_file, _row_number").fetchall() == raw
        return reports, raw, quarantined, conn


@SETTINGS
@given(st.lists(st.one_of(row, ragged), max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_every_csv_row_is_loaded_or_quarantined_once(records, newline):
    buffer = io.StringIO()
    # quote every field: an unquoted lone '\r' is a line break to any CSV reader
    writer = csv.writer(buffer, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    writer.writerows(records)
    [report], raw, quarantined, _ = load({"crm/owners.csv": buffer.getvalue().encode()})
    # csv.writer writes a record of one empty field as '""', a blank line is no record at all
    data_rows = [r for r in records if r != []]
    assert report.rows_read == len(data_rows) == report.rows_loaded + report.rows_quarantined
    assert len(raw) == report.rows_loaded and quarantined == report.rows_quarantined
    # empty fields after the last column are trailing delimiters, not a ragged record
    trimmed = [r[:7] if len(r) > 7 and not any(v.strip() for v in r[7:]) else r for r in data_rows]
    expected_good = [
        r for r in trimmed
        if len(r) == 7 and r[0].strip() and r[6].strip().lower() in ("true", "false", "yes", "0", "")
    ]
    assert [(row_[0], row_[1]) for row_ in raw] == [(r[0].strip(), r[1].strip(" \t\r\n") or None) for r in expected_good]


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_after_a_header_never_break_the_reconciliation(garbage):
    content = (",".join(HEADER) + "\n").encode() + garbage
    [report], raw, quarantined, _ = load({"crm/owners.csv": content})
    assert report.status in ("loaded", "rejected")
    assert report.rows_read == report.rows_loaded + report.rows_quarantined
    assert len(raw) == report.rows_loaded and quarantined == report.rows_quarantined


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)
event = st.fixed_dictionaries(
    {"event_name": st.one_of(st.none(), text), "user_pseudo_id": st.one_of(st.none(), text)},
    optional={"event_timestamp": st.one_of(st.integers(min_value=-2**70, max_value=2**70), text),
              "user_id": json_value, "device": json_value},
)
line = st.one_of(event.map(json.dumps), text.filter(lambda t: "\n" not in t and "\r" not in t))


# A line of JSON whitespace only (RFC 8259: space, tab, CR, LF) is no record; any other character is one.
JSON_WHITESPACE = " \t\r"


@SETTINGS
@given(st.lists(line, min_size=1, max_size=12))
@example(lines=["\x85"])  # Unicode NEL: whitespace to Python, a (bad) record to JSON
@example(lines=["\t", "{}"])
def test_every_json_line_is_loaded_or_quarantined_once(lines):
    content = ("\n".join(lines) + "\n").encode()
    reports, raw, quarantined, _ = load({"web/events_20260105.ndjson": content}, SPECS["web_events"])
    for report in reports:
        assert report.rows_read == report.rows_loaded + report.rows_quarantined
        if report.status == "loaded":
            assert report.rows_read == sum(1 for item in lines if item.strip(JSON_WHITESPACE))
    assert len(raw) == sum(r.rows_loaded for r in reports)
    assert quarantined == sum(r.rows_quarantined for r in reports)


@SETTINGS
@given(st.text(max_size=60))
def test_expressions_are_tokenised_or_refused_with_an_expression_error(expr):
    try:
        tokens = tokenize(expr)
    except ExpressionError:
        return
    assert all(t.kind in ("ident", "string", "number", "word", "op") for t in tokens)
