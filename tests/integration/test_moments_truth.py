"""Every truth the generator planted at the fact level is recovered from the facts the session's
nightly run built: the count of prospects per moment, and the share of phone-requesting answered
leads whose first response was an e-mail. The facts are read from the run's warehouse (marts
schema), not the published file: publishing waits for every mart's gate, and
test_nightly_job.py checks that the published file holds the same marts."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.slow

MOMENTS = ("stimulus", "zmot", "fmot", "purchase", "smot", "umot", "rmot")


@pytest.fixture(scope="module")
def facts(nightly):
    with duckdb.connect(str(nightly.settings.warehouse_path), read_only=True) as conn:
        yield conn


def test_every_moment_count_is_recovered(facts, truth):
    counts = dict(facts.execute(
        "select moment, count(distinct prospect_id) from marts.fct_prospect_moments group by moment"
    ).fetchall())
    assert {moment: counts.get(moment, 0) for moment in MOMENTS} == {moment: truth["moments"][moment] for moment in MOMENTS}


def test_the_journey_agrees_with_the_moments(facts):
    mismatches = facts.execute("""
        select moments.moment, count(*)
        from marts.fct_prospect_moments as moments
        inner join marts.fct_prospect_journey as journey using (prospect_id)
        where moments.reached_at is distinct from case moments.moment
            when 'stimulus' then journey.stimulus_at when 'zmot' then journey.zmot_at
            when 'fmot' then journey.fmot_at when 'purchase' then journey.purchase_at
            when 'smot' then journey.smot_at when 'umot' then journey.umot_at
            when 'rmot' then journey.rmot_at end
        group by moments.moment
    """).fetchall()
    assert mismatches == []


def test_the_share_of_email_instead_of_call_is_recovered(facts, truth):
    expected = truth["email_instead_of_call"]
    answered, by_email = facts.execute("""
        select count(*), count(*) filter (where response_channel = 'email')
        from marts.fct_prospect_journey
        where requested_channel = 'call' and has_response_attempt
    """).fetchone()
    assert (answered, by_email) == (expected["phone_leads_answered"], expected["first_answered_by_email"])
    assert by_email / answered == pytest.approx(expected["realized_share"], abs=1e-6)
    # and the planted rate itself, within sampling error
    assert abs(by_email / answered - expected["planted_share"]) < 3 * (0.3 * 0.7 / answered) ** 0.5


def test_out_of_order_moments_are_kept_and_excluded_from_durations(facts):
    flagged, with_duration = facts.execute("""
        select count(*), count(seconds_since_previous_moment)
        from marts.fct_prospect_moments where is_out_of_order
    """).fetchone()
    assert with_duration == 0
    # the journey counts the same flagged moments, so no flagged moment was dropped on the way
    assert facts.execute("select sum(out_of_order_moment_count) from marts.fct_prospect_journey").fetchone()[0] == flagged
    negative = facts.execute(
        "select count(*) from marts.fct_prospect_moments where seconds_since_previous_moment < 0"
    ).fetchone()[0]
    assert negative == 0
