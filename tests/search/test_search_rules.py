"""How a search box's text is read (pure rules), and that no text makes a search fail."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentdesk.core.errors import ValidationError
from incidentdesk.search.rules import (
    check_query,
    fts5_match,
    parse,
    pg_prefixes,
    pg_websearch,
)
from incidentdesk.search.selectors import search


def test_words_phrases_prefixes_and_excluded_words_are_told_apart():
    terms = parse('Disk "Connection Pool" failov* -dns')
    assert terms.words == ("disk",)
    assert terms.phrases == (("connection", "pool"),)
    assert terms.prefixes == ("failov",)
    assert terms.excluded == ("dns",)
    assert fts5_match(terms) == '"disk" AND "failov" * AND "connection pool" NOT "dns"'
    assert pg_websearch(terms) == 'disk "connection pool" -dns'
    assert pg_prefixes(terms) == "failov:*"


def test_a_reference_or_a_hyphenated_name_is_a_phrase():
    assert parse("INC-2026-0042").phrases == (("inc", "2026", "0042"),)
    assert parse("db-primary").phrases == (("db", "primary"),)


def test_operators_and_symbols_are_dropped_and_filler_words_too():
    terms = parse('the AND (database) OR NOT: "" * - title:x')
    assert terms.words == ("database",)
    assert terms.phrases == (("title", "x"),)
    assert not terms.excluded


def test_filler_words_alone_are_still_looked_for():
    assert parse("the").words == ("the",)


def test_excluded_words_alone_look_for_nothing():
    assert parse("-dns -tls").is_empty


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
def test_an_empty_or_too_long_query_is_refused_naming_q(text):
    with pytest.raises(ValidationError) as refused:
        check_query(text)
    assert refused.value.field == "q"


@given(st.text(max_size=120))
def test_any_text_parses_into_quoted_words_only(text):
    terms = parse(text)
    for word in (*terms.words, *terms.prefixes, *terms.excluded, *sum(terms.phrases, ())):
        assert word and word.isalnum(), word
    assert fts5_match(terms).count('"') % 2 == 0


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(min_size=1, max_size=200).filter(lambda t: t.strip()))
def test_no_text_makes_a_search_fail(incident, responder, text):
    results = search(viewer=responder, query=text)
    assert results.count >= 0
