import pytest

from incidentdesk.core.errors import ValidationError
from incidentdesk.postmortems.defaults import BUILT_IN_TERMS
from incidentdesk.postmortems.rules import blameless_warnings, check_term_key, parse_taxonomy_tree

KNOWN = list(BUILT_IN_TERMS)


def test_a_tree_is_parsed_into_its_terms_in_order():
    tree = "DATA_QUALITY < FAILED_MIGRATION < MISSING_TEST"
    assert parse_taxonomy_tree(tree, KNOWN) == ["DATA_QUALITY", "FAILED_MIGRATION", "MISSING_TEST"]


def test_a_single_term_is_a_tree_of_one():
    assert parse_taxonomy_tree("MISSING_ALERT", KNOWN) == ["MISSING_ALERT"]


def test_terms_are_accepted_in_any_case_and_spacing():
    assert parse_taxonomy_tree("  data_quality<Failed_Migration ", KNOWN) == [
        "DATA_QUALITY",
        "FAILED_MIGRATION",
    ]


def test_empty_text_clears_the_tree():
    assert parse_taxonomy_tree("  ", KNOWN) == []


def test_an_unknown_term_is_refused_with_the_known_ones():
    with pytest.raises(ValidationError) as caught:
        parse_taxonomy_tree("DATA_QUALITY < COSMIC_RAYS", KNOWN)
    assert caught.value.field == "taxonomy"
    assert "COSMIC_RAYS" in caught.value.message
    assert "MISSING_TEST" in caught.value.message and "DATA_QUALITY" in caught.value.message


@pytest.mark.parametrize("text", ["DATA_QUALITY <", "< MISSING_TEST", "A << B"])
def test_a_tree_with_a_missing_term_is_refused(text):
    with pytest.raises(ValidationError, match="missing"):
        parse_taxonomy_tree(text, [*KNOWN, "A", "B"])


def test_a_term_repeated_in_a_tree_is_refused():
    with pytest.raises(ValidationError, match="twice"):
        parse_taxonomy_tree("MISSING_TEST < missing_test", KNOWN)


def test_a_new_term_key_is_upper_cased_and_checked():
    assert check_term_key(" capacity_limit ") == "CAPACITY_LIMIT"
    with pytest.raises(ValidationError):
        check_term_key("has spaces")


MUST_FLAG = [
    ("Bob broke the deploy.", "Bob broke"),
    ("Alice caused the outage by restarting the primary.", "Alice caused"),
    ("@ana pushed a bad config to production.", "@ana pushed"),
    ("He deleted the wrong bucket.", "He deleted"),
    ("On Friday Bob had accidentally dropped the table.", "Bob had accidentally dropped"),
    ("Someone should have checked the replica lag.", "should have"),
    ("We could have caught this in staging.", "could have"),
    ("We forgot to renew the certificate.", "forgot to"),
    ("Bob failed to run the migration.", "Bob failed to"),
    ("The engineer failed to notice the alert.", "engineer failed to"),
    ("Root cause: human error.", "human error"),
    ("This was an operator error during failover.", "operator error"),
    ("Action: be more careful when deploying.", "be more careful"),
    ("Everyone should pay more attention to alerts.", "pay more attention"),
    ("Double-check next time before merging.", "Double-check next time"),
]

MUST_NOT_FLAG = [
    "The deploy broke the cache.",
    "Deploys broke the cache warm-up.",
    "The migration dropped the orders.total column.",
    # "We" is the team: a shared subject is how a blameless account describes what was done.
    "We deleted the index to rebuild it.",
    "The team missed the alert because it routed to an unused channel.",
    "The job failed to start after the upgrade.",
    "Our alerting missed the spike in latency.",
    "Checkout latency rose to 9 seconds at 14:02.",
    "Add an alert on replica lag above 30 seconds.",
    "Bob restarted the primary at 14:05, which restored service.",
]


@pytest.mark.parametrize(("sentence", "phrase"), MUST_FLAG)
def test_blameful_sentences_are_flagged_with_a_suggestion(sentence, phrase):
    warnings = blameless_warnings(sentence)
    assert any(phrase in w["phrase"] for w in warnings), warnings
    assert all(w["message"] and w["suggestion"] for w in warnings)


@pytest.mark.parametrize("sentence", MUST_NOT_FLAG)
def test_blameless_sentences_are_not_flagged(sentence):
    assert blameless_warnings(sentence) == []


def test_a_named_system_is_not_mistaken_for_a_person():
    assert blameless_warnings("Redis dropped connections.")  # unknown capitalised word
    assert blameless_warnings("Redis dropped connections.", not_people=["Redis"]) == []
