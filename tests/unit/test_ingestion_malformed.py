"""Malformed exports, one case each: the message names the file, row and column where it applies;
rows read = rows loaded + rows quarantined; and what was loaded before is neither lost nor doubled.

Every case first loads a good baseline file into the same raw table, then the malformed file, and
checks the baseline's rows afterwards (`Landing.ingest`).
"""

from __future__ import annotations

import dataclasses
import gzip
import json

import duckdb
import pytest

from orchestration.ingestion import ingest_table, load_config
from orchestration.ingestion.config import CsvOptions

SPECS = {spec.raw_table: spec for spec in load_config()}
OWNERS = SPECS["crm_owners"]
OWNERS_HEADER = "Owner ID,First Name,Last Name,Email,Team,Role,Qualified"
CONTACTS_HEADER = ("Record ID,First Name,Last Name,Email,Phone Number,Original Source,Preferred contact method,"
                   "Lifecycle Stage,Contact owner ID,Referred by contact ID,Create Date")
BASELINE = {
    "crm_owners": ("crm/owners_0_baseline.csv", OWNERS_HEADER + "\nb1,Base,One,b1@example.com,East,SDR,true\n"
                   "b2,Base,Two,b2@example.com,West,AE,false\n"),
    "crm_contacts": ("crm/contacts_0_baseline.csv", CONTACTS_HEADER + "\nb1,Base,One,,,,,,,,2026-01-01 10:00:00\n"),
    "web_events": ("web/events_00000000.ndjson", json.dumps(
        {"event_timestamp": 1, "event_name": "base", "user_pseudo_id": "b1"}) + "\n"),
    "crm_time_logs": ("crm/time_logs_0_baseline.csv", "Owner ID,Date,Activity,Hours\nb1,2026-01-01,admin,1\n"),
    # every column the mapping reads is in some file of the table (a name in none is a mapping error)
    "survey_responses": ("survey/responses_0_baseline.csv",
                         "#,contact_id,survey,How likely are you to recommend us to a friend or colleague?,"
                         "How satisfied are you with your experience so far?,Anything else you would like to tell us?,"
                         "Submit Date (UTC)\nb1,,nps,9,,,2026-01-01 10:00:00\n"),
    "crm_engagements": ("crm/engagements_0_baseline.csv",
                        "Engagement ID,Associated Contact ID,Owner ID,Engagement type,Direction,Outcome,Template used,"
                        "Subject,Activity date,Duration (ms)\n"
                        "b1,c1,,CALL,,,,,2026-01-01 10:00:00,1000\n"),
}


class Landing:
    def __init__(self, root, conn):
        self.root, self.conn = root, conn

    def write(self, name: str, content: str | bytes, encoding: str = "utf-8"):
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    def rows(self, spec, source_file: str, columns: str = "*"):
        return self.conn.execute(
            f"select {columns} from raw.{spec.raw_table} where _source_file = ? order by _row_number", [source_file]
        ).fetchall()

    def quarantine(self, spec, source_file: str):
        return self.conn.execute(
            "select row_number, line_number, column_name, reason from ingest.quarantine "
            "where raw_table = ? and source_file = ? order by row_number", [spec.raw_table, source_file]
        ).fetchall()

    def ingest(self, spec, name: str, content: str | bytes | None = None, encoding: str = "utf-8"):
        """Load the baseline, then `name` (written from `content`); return the report of `name`."""
        base_name, base_text = BASELINE[spec.raw_table]
        if spec.format == "csv":  # the baseline is written the way this spec reads files
            header, rest = base_text.split("\n", 1)
            base_text = "\n".join([header, *["skipped"] * spec.csv.skip_rows_after_header, rest])
            base_text = base_text.replace(",", spec.csv.delimiter)
        if not (self.root / base_name).exists():
            self.write(base_name, base_text)
            ingest_table(self.conn, spec, self.root)
        before = self.rows(spec, base_name, "* exclude (_loaded_at, _load_id)")
        if content is not None:
            self.write(name, content, encoding)
        reports = {r.source_file: r for r in ingest_table(self.conn, spec, self.root)}
        for report in reports.values():
            assert report.rows_read == report.rows_loaded + report.rows_quarantined, report
            if report.status in ("loaded", "replaced"):
                assert len(self.rows(spec, report.source_file)) == report.rows_loaded
                assert len(self.quarantine(spec, report.source_file)) == report.rows_quarantined
        assert reports[base_name].status == "unchanged"
        assert self.rows(spec, base_name, "* exclude (_loaded_at, _load_id)") == before, "baseline rows changed"
        return reports[name]


@pytest.fixture()
def landing(tmp_path):
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield Landing(tmp_path / "landing", conn)
    conn.close()


def owners(*rows: str, header: str = OWNERS_HEADER, newline: str = "\n") -> str:
    return newline.join([header, *rows]) + newline


GOOD = "1,Ann,Lee,ann@example.com,East,SDR,true"


# -- delimiters, line endings, quoting ----------------------------------------------------------

def test_wrong_delimiter_rejects_the_file_and_says_which_delimiter(landing):
    report = landing.ingest(OWNERS, "crm/owners_semicolon.csv", owners(GOOD.replace(",", ";"),
                                                                        header=OWNERS_HEADER.replace(",", ";")))
    assert report.status == "rejected"
    assert "crm/owners_semicolon.csv" in report.message
    assert "';'-delimited" in report.message and "csv.delimiter" in report.message


def test_configured_delimiter_reads_semicolon_files(landing):
    spec = dataclasses.replace(OWNERS, csv=CsvOptions(delimiter=";"))
    report = landing.ingest(spec, "crm/owners_semicolon.csv", owners("1;Ann;Lee;a@x.org;East;SDR;true",
                                                                     header=OWNERS_HEADER.replace(",", ";")))
    assert (report.status, report.rows_loaded) == ("loaded", 1)


def test_utf8_byte_order_mark_is_not_part_of_the_first_column_name(landing):
    report = landing.ingest(OWNERS, "crm/owners_bom.csv", "\ufeff" + owners(GOOD))
    assert report.rows_loaded == 1
    assert landing.rows(OWNERS, "crm/owners_bom.csv", "owner_id") == [("1",)]


def test_windows_line_endings(landing):
    report = landing.ingest(OWNERS, "crm/owners_crlf.csv", owners(GOOD, "2,Bo,Ray,b@x.org,West,AE,false",
                                                                  newline="\r\n"))
    assert report.rows_loaded == 2
    assert landing.rows(OWNERS, "crm/owners_crlf.csv", "is_qualified") == [(True,), (False,)]


def test_trailing_delimiter_on_every_line_including_the_header(landing):
    report = landing.ingest(OWNERS, "crm/owners_trailing.csv", owners(GOOD + ",", header=OWNERS_HEADER + ","))
    assert (report.rows_loaded, report.rows_quarantined) == (1, 0)


def test_trailing_delimiter_on_data_lines_only(landing):
    report = landing.ingest(OWNERS, "crm/owners_trailing.csv", owners(GOOD + ",", "2,Bo,Ray,b@x.org,West,AE,false,,"))
    assert (report.rows_loaded, report.rows_quarantined) == (2, 0)


def test_quoted_newlines_in_free_text_keep_row_and_line_numbers_apart(landing):
    report = landing.ingest(OWNERS, "crm/owners_multiline.csv",
                            owners('1,Ann,"Lee\nof the\nNorth",a@x.org,East,SDR,true', "2,Bo,Ray,b@x.org,West,AE,maybe"))
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert landing.rows(OWNERS, "crm/owners_multiline.csv", "last_name") == [("Lee\nof the\nNorth",)]
    assert landing.quarantine(OWNERS, "crm/owners_multiline.csv") == [
        (2, 5, "is_qualified", "is_qualified: 'maybe' is not a boolean")]


def test_truncated_last_line(landing):
    report = landing.ingest(OWNERS, "crm/owners_truncated.csv", owners(GOOD)[:-1] + "\n2,Bo,Ra")
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert landing.quarantine(OWNERS, "crm/owners_truncated.csv") == [(2, 3, None, "expected 7 fields, found 3")]


def test_unterminated_quote_at_the_end_does_not_swallow_rows_silently(landing):
    report = landing.ingest(OWNERS, "crm/owners_open_quote.csv",
                            owners(GOOD, '2,Bo,"Ray,b@x.org,West,AE,false', "3,Cy,Doe,c@x.org,East,AE,true"))
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 1, 1)
    [(row, line, column, reason)] = landing.quarantine(OWNERS, "crm/owners_open_quote.csv")
    assert (row, line, column) == (2, 3, None) and "malformed quoting" in reason


def test_text_after_a_closing_quote_is_quarantined_and_reading_goes_on(landing):
    report = landing.ingest(OWNERS, "crm/owners_bad_quote.csv",
                            owners('1,Ann,"Lee"x,a@x.org,East,SDR,true', "2,Bo,Ray,b@x.org,West,AE,false"))
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 1, 1)
    assert landing.quarantine(OWNERS, "crm/owners_bad_quote.csv")[0][:3] == (1, 2, None)


def test_too_many_fields(landing):
    report = landing.ingest(OWNERS, "crm/owners_wide.csv", owners(GOOD + ",surprise", "2,Bo,Ray,b@x.org,West,AE,false"))
    assert landing.quarantine(OWNERS, "crm/owners_wide.csv") == [(1, 2, None, "expected 7 fields, found 8")]
    assert report.rows_loaded == 1


def test_blank_lines_are_not_rows(landing):
    report = landing.ingest(OWNERS, "crm/owners_blank.csv", owners(GOOD, "", "", "2,Bo,Ray,b@x.org,West,AE,maybe"))
    assert report.rows_read == 2
    assert landing.quarantine(OWNERS, "crm/owners_blank.csv")[0][:2] == (2, 5)


# -- encodings -----------------------------------------------------------------------------------

def test_bad_utf8_quarantines_the_row_not_the_file(landing):
    content = owners(GOOD).encode() + b"2,Bo,R\xe9y,b@x.org,West,AE,false\n"
    report = landing.ingest(OWNERS, "crm/owners_latin1_bytes.csv", content)
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert landing.quarantine(OWNERS, "crm/owners_latin1_bytes.csv") == [(2, 3, None, "invalid UTF-8")]


def test_configured_latin1_encoding(landing):
    spec = dataclasses.replace(OWNERS, csv=CsvOptions(encoding="latin-1"))
    report = landing.ingest(spec, "crm/owners_latin1.csv", owners("1,Jörg,Müller,j@x.org,East,SDR,true"),
                            encoding="latin-1")
    assert report.rows_loaded == 1
    assert landing.rows(spec, "crm/owners_latin1.csv", "first_name, last_name") == [("Jörg", "Müller")]


def test_utf16_export_is_recognised_by_its_byte_order_mark(landing):
    report = landing.ingest(OWNERS, "crm/owners_utf16.csv", owners("1,Zoë,Lee,z@x.org,East,SDR,true"),
                            encoding="utf-16")
    assert report.rows_loaded == 1 and "UTF-16" in report.message
    assert landing.rows(OWNERS, "crm/owners_utf16.csv", "first_name") == [("Zoë",)]


def test_gzip_compressed_file(landing):
    report = landing.ingest(dataclasses.replace(OWNERS, files="crm/owners*.csv*"), "crm/owners_zipped.csv.gz", gzip.compress(owners(GOOD).encode()))
    assert report.rows_loaded == 1


def test_gzip_compressed_file_without_a_gz_name(landing):
    report = landing.ingest(OWNERS, "crm/owners_zipped.csv", gzip.compress(owners(GOOD).encode()))
    assert report.rows_loaded == 1


def test_very_long_text_field_is_loaded_whole(landing):
    essay = "word " * 400_000
    report = landing.ingest(OWNERS, "crm/owners_long.csv", owners(f'1,Ann,"{essay}",a@x.org,East,SDR,true'))
    assert report.rows_loaded == 1
    assert landing.rows(OWNERS, "crm/owners_long.csv", "length(last_name)") == [(len(essay.strip()),)]


# -- values --------------------------------------------------------------------------------------

def test_unparseable_timestamp_names_row_column_and_value(landing):
    spec = SPECS["crm_contacts"]
    report = landing.ingest(spec, "crm/contacts_bad_time.csv", CONTACTS_HEADER + "\n"
                            "c1,A,B,,,,,,,,2026-01-05 10:00:00\nc2,A,B,,,,,,,,yesterday\nc3,A,B,,,,,,,,2026-02-30 10:00\n")
    assert report.rows_quarantined == 2
    assert landing.quarantine(spec, "crm/contacts_bad_time.csv") == [
        (2, 3, "created_at", "created_at: 'yesterday' is not a valid timestamp"),
        (3, 4, "created_at", "created_at: '2026-02-30 10:00' is not a valid timestamp"),
    ]


def test_out_of_range_numbers(landing):
    spec = SPECS["survey_responses"]
    report = landing.ingest(spec, "survey/responses_big.csv",
                            "#,survey,How likely are you to recommend us to a friend or colleague?,Submit Date (UTC)\n"
                            "r1,nps,99999999999,2026-01-05 10:00:00\nr2,nps,7,2026-01-05 10:00:00\n")
    assert report.rows_loaded == 1
    assert landing.quarantine(spec, "survey/responses_big.csv") == [
        (1, 2, "nps_score", "nps_score: '99999999999' is not a valid integer")]


def test_bigint_overflow(landing):
    spec = SPECS["crm_engagements"]
    report = landing.ingest(spec, "crm/engagements_big.csv",
                            "Engagement ID,Associated Contact ID,Engagement type,Activity date,Duration (ms)\n"
                            "e1,c1,CALL,2026-01-05 10:00:00,99999999999999999999\n")
    assert report.rows_quarantined == 1
    assert landing.quarantine(spec, "crm/engagements_big.csv")[0][2] == "duration_ms"


def test_nineteen_digit_ids_and_leading_zeros_stay_text(landing):
    spec = SPECS["crm_contacts"]
    landing.ingest(spec, "crm/contacts_ids.csv", CONTACTS_HEADER + "\n"
                   "1234567890123456789,A,B,,,,,,000123,9007199254740993,2026-01-05 10:00:00\n")
    assert landing.rows(spec, "crm/contacts_ids.csv", "contact_id, owner_id, referred_by_contact_id") == [
        ("1234567890123456789", "000123", "9007199254740993")]


def test_required_value_missing_or_only_whitespace(landing):
    report = landing.ingest(OWNERS, "crm/owners_no_id.csv", owners(",Ann,Lee,a@x.org,East,SDR,true",
                                                                   "   ,Bo,Ray,b@x.org,West,AE,false", GOOD))
    assert report.rows_loaded == 1
    assert [q[:3] for q in landing.quarantine(OWNERS, "crm/owners_no_id.csv")] == [
        (1, 2, "owner_id"), (2, 3, "owner_id")]


def test_bad_boolean(landing):
    landing.ingest(OWNERS, "crm/owners_bool.csv", owners("1,Ann,Lee,a@x.org,East,SDR,perhaps"))
    assert landing.quarantine(OWNERS, "crm/owners_bool.csv") == [
        (1, 2, "is_qualified", "is_qualified: 'perhaps' is not a boolean")]


def test_day_only_timestamps_are_marked_day(landing):
    spec = SPECS["crm_contacts"]
    landing.ingest(spec, "crm/contacts_days.csv", CONTACTS_HEADER + "\n"
                   "c1,A,B,,,,,,,,2026-01-05\nc2,A,B,,,,,,,,2026-01-05 10:11:12\n")
    rows = landing.rows(spec, "crm/contacts_days.csv", "strftime(created_at, '%Y-%m-%d %H:%M:%S'), created_at_precision")
    assert rows == [("2026-01-05 00:00:00", "day"), ("2026-01-05 10:11:12", "second")]


def test_timestamps_with_an_offset_are_converted_to_the_source_time_zone(landing):
    spec = SPECS["crm_contacts"]  # America/New_York
    landing.ingest(spec, "crm/contacts_offset.csv", CONTACTS_HEADER + "\n"
                   "c1,A,B,,,,,,,,2026-01-05T15:00:00.000Z\nc2,A,B,,,,,,,,2026-01-05T16:00:00+01:00\n")
    rows = landing.rows(spec, "crm/contacts_offset.csv", "strftime(created_at, '%H:%M')")
    assert rows == [("10:00",), ("10:00",)]


def test_a_nul_byte_in_a_field(landing):
    report = landing.ingest(OWNERS, "crm/owners_nul.csv", owners("1,Ann,Le\x00e,a@x.org,East,SDR,true", GOOD))
    assert report.rows_read == 2 == report.rows_loaded + report.rows_quarantined


# -- whole files ---------------------------------------------------------------------------------

def test_empty_file_is_reported_and_loads_nothing(landing):
    report = landing.ingest(OWNERS, "crm/owners_empty.csv", b"")
    assert report.status == "empty" and "crm/owners_empty.csv" in report.message
    assert report.rows_read == 0


def test_header_only_file_loads_zero_rows(landing):
    report = landing.ingest(OWNERS, "crm/owners_header.csv", owners())
    assert (report.status, report.rows_read) == ("loaded", 0)


def test_duplicate_header_name_of_a_mapped_column_rejects_the_file(landing):
    report = landing.ingest(OWNERS, "crm/owners_dup.csv", owners(GOOD + ",East",
                                                                 header=OWNERS_HEADER + ",Team"))
    assert report.status == "rejected"
    assert "'Team' appears 2 times in the header (columns 5, 8)" in report.message


def test_duplicate_header_name_of_an_unmapped_column_is_kept_in_extra(landing):
    report = landing.ingest(OWNERS, "crm/owners_dup_extra.csv", owners(GOOD + ",x,y", header=OWNERS_HEADER + ",Note,Note"))
    assert report.rows_loaded == 1
    [(extra,)] = landing.rows(OWNERS, "crm/owners_dup_extra.csv", "_extra")
    assert json.loads(extra) == {"Note": "x", "Note (2)": "y"}


def test_missing_required_column_names_the_column_and_the_mapping(landing):
    report = landing.ingest(OWNERS, "crm/owners_no_id_column.csv", owners("Ann,East", header="First Name,Team"))
    assert report.status == "rejected"
    assert "'Owner ID' (-> owner_id)" in report.message
    assert "sources.crm.tables.owners.columns in" in report.message and "sources.yml" in report.message


def test_renamed_required_column_suggests_the_new_name(landing):
    report = landing.ingest(OWNERS, "crm/owners_renamed.csv", owners(GOOD, header=OWNERS_HEADER.replace("Owner ID", "Owner IDs")))
    assert report.status == "rejected"
    assert "'Owner ID' (-> owner_id; the file has 'Owner IDs')" in report.message


def test_header_names_differing_in_case_and_spaces_still_match(landing):
    report = landing.ingest(OWNERS, "crm/owners_case.csv", owners(GOOD, header=" owner id ,FIRST NAME,Last  Name,"
                                                                                  "email,team,role,qualified"))
    assert report.rows_loaded == 1
    assert landing.rows(OWNERS, "crm/owners_case.csv", "owner_id, first_name, team") == [("1", "Ann", "East")]


def test_extra_columns_are_kept_as_json_and_reported(landing):
    report = landing.ingest(OWNERS, "crm/owners_more.csv", owners(GOOD + ",Berlin,", header=OWNERS_HEADER + ",Office,Desk"))
    assert report.extra_columns == ["Office", "Desk"]
    assert "2 column(s) not in the mapping, kept in _extra: 'Office', 'Desk'" in report.message
    [(extra,)] = landing.rows(OWNERS, "crm/owners_more.csv", "_extra")
    assert json.loads(extra) == {"Office": "Berlin", "Desk": None}
    logged = landing.conn.execute("select message from ingest.load_log where source_file = 'crm/owners_more.csv'").fetchone()
    assert "'Office'" in logged[0]


def test_missing_optional_column_is_null_and_reported(landing):
    report = landing.ingest(OWNERS, "crm/owners_no_team.csv", owners("1,Ann,Lee,a@x.org,SDR,true",
                                                                     header=OWNERS_HEADER.replace(",Team", "")))
    assert report.rows_loaded == 1 and "'Team' (-> team) not in the file" in report.message
    assert landing.rows(OWNERS, "crm/owners_no_team.csv", "team") == [(None,)]


def test_the_same_file_delivered_twice_under_another_name_is_not_loaded_twice(landing):
    landing.ingest(OWNERS, "crm/owners_a.csv", owners(GOOD))
    report = landing.ingest(OWNERS, "crm/owners_a (1).csv", owners(GOOD))
    assert report.status == "duplicate" and "crm/owners_a.csv" in report.message
    assert landing.conn.execute("select count(*) from raw.crm_owners where owner_id = '1'").fetchone()[0] == 1


def test_a_file_replaced_with_different_content_replaces_its_rows(landing):
    landing.ingest(OWNERS, "crm/owners_r.csv", owners(GOOD, "2,Bo"))
    report = landing.ingest(OWNERS, "crm/owners_r.csv", owners(GOOD.replace("SDR", "AE")))
    assert report.status == "replaced"
    assert landing.rows(OWNERS, "crm/owners_r.csv", "owner_id, role") == [("1", "AE")]
    assert landing.quarantine(OWNERS, "crm/owners_r.csv") == []


def test_a_loaded_file_replaced_by_a_broken_one_keeps_its_rows(landing):
    landing.ingest(OWNERS, "crm/owners_k.csv", owners(GOOD))
    report = landing.ingest(OWNERS, "crm/owners_k.csv", owners("Ann", header="First Name"))
    assert report.status == "rejected" and "rows loaded before from this file are kept" in report.message
    assert landing.rows(OWNERS, "crm/owners_k.csv", "owner_id") == [("1",)]


def test_a_loaded_file_replaced_by_an_empty_one_keeps_its_rows(landing):
    landing.ingest(OWNERS, "crm/owners_e.csv", owners(GOOD))
    report = landing.ingest(OWNERS, "crm/owners_e.csv", b"")
    assert report.status == "empty"
    assert landing.rows(OWNERS, "crm/owners_e.csv", "owner_id") == [("1",)]


def test_extra_header_rows_are_skipped_when_configured(landing):
    spec = dataclasses.replace(OWNERS, csv=CsvOptions(skip_rows_after_header=2))
    report = landing.ingest(spec, "crm/owners_qualtrics.csv", owners("Owner,First,Last,Mail,Team,Role,Q",
                                                                     '{"ImportId":"a"},,,,,,', GOOD))
    assert (report.rows_read, report.rows_loaded) == (1, 1)
    assert landing.rows(spec, "crm/owners_qualtrics.csv", "_row_number") == [(1,)]


# -- JSON lines and Parquet ------------------------------------------------------------------------

EVENTS = SPECS["web_events"]


def event(**fields) -> str:
    return json.dumps({"event_timestamp": 1767600000000000, "event_name": "page_view", "user_pseudo_id": "u1", **fields})


def test_ndjson_invalid_line_non_object_and_truncated_last_line(landing):
    report = landing.ingest(EVENTS, "web/events_20260105.ndjson",
                            "\n".join([event(), "[1, 2]", "{broken", event(), event()[:25]]))
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (5, 2, 3)
    assert [q[:2] + (q[3],) for q in landing.quarantine(EVENTS, "web/events_20260105.ndjson")] == [
        (2, 2, "a JSON line is not an object"), (3, 3, "invalid JSON"), (5, 5, "invalid JSON")]


def test_ndjson_with_bom_and_windows_line_endings(landing):
    report = landing.ingest(EVENTS, "web/events_20260106.ndjson", "\ufeff" + event() + "\r\n" + event() + "\r\n")
    assert (report.rows_loaded, report.rows_quarantined) == (2, 0)


def test_ndjson_gzip(landing):
    report = landing.ingest(EVENTS, "web/events_20260107.ndjson", gzip.compress((event() + "\n").encode()))
    assert report.rows_loaded == 1


def test_ndjson_bad_utf8_line(landing):
    report = landing.ingest(EVENTS, "web/events_20260108.ndjson",
                            event().encode() + b"\n" + event(user_id="bXX").encode().replace(b"XX", b"\xff") + b"\n"
                            + event().encode() + b"\n")
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert landing.quarantine(EVENTS, "web/events_20260108.ndjson")[0][:2] == (2, 2)


def test_ndjson_required_field_renamed_in_the_export_rejects_the_file(landing):
    renamed = json.dumps({"event_timestamp": 1, "event_name": "x", "client_id": "u1"})
    report = landing.ingest(EVENTS, "web/events_20260109.ndjson", renamed + "\n")
    assert report.status == "rejected"
    assert "'user_pseudo_id' (-> user_pseudo_id" in report.message
    assert "sources.web.tables.events.columns" in report.message


def test_ndjson_new_field_is_reported(landing):
    report = landing.ingest(EVENTS, "web/events_20260110.ndjson", event(privacy_info={"ads_storage": "No"}) + "\n")
    assert report.extra_columns == ["privacy_info"] and "'privacy_info'" in report.message


def test_ndjson_missing_required_value_in_one_record(landing):
    report = landing.ingest(EVENTS, "web/events_20260111.ndjson", event() + "\n" + event(user_pseudo_id=None) + "\n")
    assert landing.quarantine(EVENTS, "web/events_20260111.ndjson") == [
        (2, 2, "user_pseudo_id", "user_pseudo_id: required value is missing")]
    assert report.rows_loaded == 1


def test_corrupt_parquet_file_is_rejected_with_its_name(landing):
    spec = dataclasses.replace(EVENTS, files="web/events_*.parquet", format="parquet")
    good = landing.write("web/events_20260112.parquet", b"")
    # a Parquet schema has every column, NULL or not: the mapped ones are all there
    landing.conn.execute(f"copy (select 1767600000000000 as event_timestamp, 'page_view' as event_name, "
                         f"'u1' as user_pseudo_id, null as event_date, null as user_id, null as event_params, "
                         f"null as collected_traffic_source, null as device) to '{good}' (format parquet)")
    landing.write("web/events_20260113.parquet", b"PAR1 this is not parquet")
    reports = {r.source_file: r for r in ingest_table(landing.conn, spec, landing.root)}
    assert reports["web/events_20260112.parquet"].rows_loaded == 1
    report = reports["web/events_20260113.parquet"]
    assert report.status == "rejected"
    assert "web/events_20260113.parquet: not a readable Parquet file" in report.message


def test_one_source_rejected_does_not_stop_the_others(landing):
    landing.write("crm/owners.csv", owners("Ann", header="First Name"))
    landing.write("crm/time_logs.csv", "Owner ID,Date,Activity,Hours\n1,2026-01-05,admin,2\n")
    owners_reports = ingest_table(landing.conn, OWNERS, landing.root)
    time_reports = ingest_table(landing.conn, SPECS["crm_time_logs"], landing.root)
    assert [r.status for r in owners_reports] == ["rejected"]
    assert [(r.status, r.rows_loaded) for r in time_reports] == [("loaded", 1)]


def test_ndjson_control_characters_do_not_split_or_drop_a_line(landing):
    report = landing.ingest(EVENTS, "web/events_20260114.ndjson", event() + "\n\x01\n" + event(page="a\x01b") + "\n")
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert landing.quarantine(EVENTS, "web/events_20260114.ndjson") == [(2, 2, None, "invalid JSON")]


def test_undecodable_bytes_in_an_unmapped_header_name(landing):
    content = (OWNERS_HEADER + ",Not").encode() + b"\xe9s\n" + (GOOD + ",x\n").encode()
    report = landing.ingest(OWNERS, "crm/owners_bad_header.csv", content)
    assert report.rows_loaded == 1 and report.extra_columns == ["Not\ufffds"]
