"""No PII in the BI-facing file: every column of every published table is scanned for e-mail
addresses, phone numbers and the names of the people in the raw data."""

from __future__ import annotations

import re

import duckdb

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w-])\+?\(?\d{1,4}\)?[\s.-]\d{2,4}[\s.-]\d{3,4}(?:[\s.-]\d{2,4})?(?![\w-])")


def raw_people(warehouse) -> tuple[set[str], set[str], set[str]]:
    """Full names, phone numbers (digits only) and e-mails of every person in the raw tables."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        names = {r[0].strip().lower() for r in conn.execute(
            """select first_name || ' ' || last_name from raw.crm_contacts where first_name is not null and last_name is not null
               union select first_name || ' ' || last_name from raw.crm_owners where first_name is not null and last_name is not null
               union select reviewer_name from raw.reviews_reviews where reviewer_name is not null""").fetchall()}
        phones = {re.sub(r"\D", "", r[0]) for r in conn.execute(
            "select phone from raw.crm_contacts where phone is not null").fetchall()}
        emails = {r[0].strip().lower() for r in conn.execute(
            """select email from raw.crm_contacts where email is not null
               union select email from raw.crm_owners where email is not null
               union select reviewer_email from raw.reviews_reviews where reviewer_email is not null""").fetchall()}
    return names, {p for p in phones if len(p) >= 7}, emails


def published_text(published) -> list[tuple[str, str, str]]:
    """(table, column, value) for every distinct value of every column, cast to text."""
    found = []
    with duckdb.connect(str(published), read_only=True) as bi:
        columns = bi.execute(
            "select table_name, column_name from duckdb_columns() where not internal order by 1, 2"
        ).fetchall()
        for table, column in columns:
            values = bi.execute(
                f'select distinct cast("{column}" as varchar) from main."{table}" where "{column}" is not null'
            ).fetchall()
            found += [(table, column, v[0]) for v in values]
    return found


def test_no_published_column_holds_an_email_phone_or_person_name(nightly):
    assert nightly.result.success
    names, phones, emails = raw_people(nightly.settings.warehouse_path)
    assert len(names) > 100 and len(phones) > 100 and len(emails) > 100  # the scan has something to find
    values = published_text(nightly.settings.published_path)
    assert len({(t, c) for t, c, _ in values}) > 50  # every column of every table, not a handful

    leaks = []
    for table, column, value in values:
        text = value.lower()
        words = text.split()
        bigrams = {" ".join(pair) for pair in zip(words, words[1:])}
        digits = re.sub(r"\D", "", value)
        if EMAIL.search(value) or text in emails:
            leaks.append((table, column, value, "e-mail"))
        if PHONE.search(value) or (len(digits) >= 7 and digits in phones):
            leaks.append((table, column, value, "phone"))
        if text in names or bigrams & names:
            leaks.append((table, column, value, "name"))
    assert leaks == [], f"PII in the published file (table, column, value, kind): {leaks[:10]}"
