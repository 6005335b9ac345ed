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


# (sentence, a part of the flagged phrase)
MUST_FLAG = [
    # A person as the subject of a causal verb: a name, a handle, he/she, someone, a role.
    ("Bob broke the deploy.", "Bob broke"),
    ("Alice caused the outage by restarting the primary.", "Alice caused"),
    ("@ana pushed a bad config to production.", "@ana pushed"),
    ("He deleted the wrong bucket.", "He deleted"),
    ("He then missed the page.", "He then missed"),
    ("On Friday Bob had accidentally dropped the table.", "Bob had accidentally dropped"),
    ("Someone deleted the bucket.", "Someone deleted"),
    ("The developer caused the outage.", "The developer caused"),
    ("Our SRE misconfigured the load balancer.", "Our SRE misconfigured"),
    ("An admin deleted the production bucket.", "An admin deleted"),
    ("The person on call missed the page.", "The person on call missed"),
    ("Engineers pushed untested code.", "Engineers pushed"),
    # "should have": what ought to have happened, whatever the subject.
    ("Someone should have checked the replica lag.", "should have"),
    ("Bob should not have deployed on Friday.", "should not have deployed"),
    ("Bob shouldn't have deployed on Friday.", "shouldn't have"),
    ("The reviewer should've caught the typo.", "should've"),
    ("The alert should have fired at 14:02.", "should have fired"),
    # "could/would have" with a person or us as the subject.
    ("We could have caught this in staging.", "We could have"),
    ("Bob could have rolled back sooner.", "Bob could have"),
    ("The on-call could easily have paged the DBA.", "The on-call could easily have"),
    # "forgot to" / "neglected to" whatever the subject; "failed to" with a person or us.
    ("We forgot to renew the certificate.", "forgot to"),
    ("Alice had forgotten to renew the certificate.", "forgotten to"),
    ("Bob failed to run the migration.", "Bob failed to"),
    ("The engineer failed to notice the alert.", "engineer failed to"),
    ("The on-call engineer failed to notice the alert.", "on-call engineer failed to"),
    ("@ana failed to run the backfill.", "@ana failed to"),
    ("We failed to notice the alert.", "We failed to"),
    ("I failed to escalate in time.", "I failed to"),
    ("The team failed to follow the runbook.", "team failed to"),
    ("Bob failed to run `manage.py migrate` first.", "Bob failed to run `manage.py migrate`"),
    # "human error" given as a cause.
    ("Root cause: human error.", "human error"),
    ("This was an operator error during failover.", "operator error"),
    ("A fat-fingered command took the cluster down.", "fat-fingered"),
    # Vague actions.
    ("Action: be more careful when deploying.", "be more careful"),
    ("Everyone should pay more attention to alerts.", "pay more attention"),
    ("Double-check next time before merging.", "Double-check next time"),
    ("Team members need to take more care with migrations.", "take more care"),
]

MUST_NOT_FLAG = [
    # A system as the subject.
    "The deploy broke the cache.",
    "The deploy broke the login page.",
    "Deploys broke the cache warm-up.",
    "The migration dropped the orders.total column.",
    "Our alerting missed the spike in latency.",
    "The job failed to start after the upgrade.",
    "The cache failed to warm up.",
    "Alerting could have been faster if the threshold were lower.",
    "Without the rate limit, the outage would have reached every region.",
    # A role noun that is not the subject.
    "The admin panel dropped the session cookie.",
    "The engineer's change dropped the index.",
    "The on-call engineer paged the DBA at 14:05.",
    # "We", "I" and "the team" as the subject of a causal verb: a shared account.
    "We deleted the index to rebuild it.",
    "I deleted the stale lock file to unblock the queue.",
    "The team missed the alert because it routed to an unused channel.",
    # Counterfactuals that clear people rather than judge them.
    "Nobody could have predicted the spike.",
    "We would not have noticed without the new alert.",
    # Quoted text and code are not the writer's prose.
    'The runbook said "be more careful"; we replaced that with a lint check.',
    "The log shows `restart failed to bind port 8080` at 14:03.",
    "Output:\n```\nworker failed to start; operator error\n```\nThen it recovered.",
    "> Bob: I forgot to renew the certificate\n\nThe renewal job had been disabled.",
    # Plain facts and concrete actions.
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


def test_a_warning_has_a_phrase_a_message_and_a_suggestion():
    (warning,) = blameless_warnings("Bob broke the deploy.")
    assert warning == {
        "phrase": "Bob broke",
        "message": "a person is the subject of a causal verb",
        "suggestion": warning["suggestion"],
    }


def test_we_is_spared_the_causal_verb_rule_but_not_counterfactuals():
    assert blameless_warnings("We deleted the index.") == []
    (warning,) = blameless_warnings("We failed to notice the alert.")
    assert warning["phrase"].startswith("We failed to")
    assert "counterfactual" in warning["message"]


def test_warnings_come_in_the_order_of_the_text():
    text = "We should have tested it. Root cause: human error. Bob broke the deploy."
    phrases = [w["phrase"] for w in blameless_warnings(text)]
    assert phrases == ["should have tested it", "human error", "Bob broke"]


def test_a_named_system_is_not_mistaken_for_a_person():
    assert blameless_warnings("Redis dropped connections.")  # unknown capitalised word
    assert blameless_warnings("Redis dropped connections.", not_people=["Redis"]) == []


def test_any_word_of_a_component_name_is_not_mistaken_for_a_person():
    text = "Checkout failed to reach the payment provider."
    assert blameless_warnings(text)
    assert blameless_warnings(text, not_people=["Checkout API"]) == []


def test_text_around_code_and_quotes_is_still_checked():
    text = 'The alert said "disk full". Bob broke the deploy with `rm -rf`.'
    assert [w["phrase"] for w in blameless_warnings(text)] == ["Bob broke"]
