"""Pure incident rules: no database, no Django request cycle."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentdesk.core import checks
from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.incidents import rules

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
STATUSES = (
    "investigating",
    "identified",
    "monitoring",
    "blocked",
    "closed_blocked",
    "resolved",
    "closed",
)

# The lifecycle, written out by hand so the test does not just echo rules.TRANSITIONS.
ALLOWED = {
    ("investigating", "identified"),
    ("investigating", "monitoring"),
    ("investigating", "blocked"),
    ("investigating", "resolved"),
    ("identified", "investigating"),
    ("identified", "monitoring"),
    ("identified", "blocked"),
    ("identified", "resolved"),
    ("monitoring", "investigating"),
    ("monitoring", "identified"),
    ("monitoring", "blocked"),
    ("monitoring", "resolved"),
    # Leaving blocked: for any working status, or resolved; or closed until work resumes.
    ("blocked", "investigating"),
    ("blocked", "identified"),
    ("blocked", "monitoring"),
    ("blocked", "resolved"),
    ("blocked", "closed_blocked"),
    # A close while blocked is re-opened: back to work, or blocked again.
    ("closed_blocked", "investigating"),
    ("closed_blocked", "identified"),
    ("closed_blocked", "monitoring"),
    ("closed_blocked", "blocked"),
    ("resolved", "investigating"),
    ("resolved", "closed"),
}
PAIRS = [(a, b) for a in STATUSES for b in STATUSES if a != b]


# -- status transitions ------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transition_passes_when_given_a_reason(current, target):
    rules.check_transition(current, target, reason="because")


@pytest.mark.parametrize(("current", "target"), sorted(set(PAIRS) - ALLOWED))
def test_refused_transition_names_the_allowed_ones(current, target):
    with pytest.raises(InvalidTransition) as caught:
        rules.check_transition(current, target, reason="because")
    assert caught.value.field == "status"
    allowed_from_here = [b for a, b in sorted(ALLOWED) if a == current]
    for option in allowed_from_here:
        assert option in caught.value.message
    assert f"from {current} to {target}" in caught.value.message


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (a, b)
        for a, b in sorted(ALLOWED)
        if (b != "blocked" or a == "closed_blocked") and (a, b) != ("resolved", "investigating")
    ],
)
def test_ordinary_transition_needs_no_reason(current, target):
    rules.check_transition(current, target)


@pytest.mark.parametrize("status", STATUSES)
def test_moving_to_the_current_status_is_refused(status):
    with pytest.raises(InvalidTransition, match=f"already {status}"):
        rules.check_transition(status, status)


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopening_a_resolved_incident_needs_a_reason(reason):
    with pytest.raises(ValidationError) as caught:
        rules.check_transition("resolved", "investigating", reason=reason)
    assert caught.value.field == "reason"
    assert "re-opening" in caught.value.message


@pytest.mark.parametrize("current", ["investigating", "identified", "monitoring"])
def test_blocking_needs_a_reason(current):
    with pytest.raises(ValidationError) as caught:
        rules.check_transition(current, "blocked", reason=" ")
    assert caught.value.field == "reason"


@pytest.mark.parametrize("target", [s for s in STATUSES if s != "closed"])
def test_closed_is_final(target):
    with pytest.raises(InvalidTransition) as caught:
        rules.check_transition("closed", target, reason="please")
    assert "final" in caught.value.message


@pytest.mark.parametrize(
    ("current", "before", "expected"),
    [
        ("blocked", "identified", "identified"),
        ("blocked", "monitoring", "monitoring"),
        ("closed_blocked", "identified", "identified"),
        ("blocked", None, "investigating"),
        ("blocked", "resolved", "investigating"),  # only a working status is gone back to
    ],
)
def test_unblocking_goes_back_to_the_status_before_blocked(current, before, expected):
    assert rules.unblock_target(current, before) == expected


def test_unblocking_an_incident_that_is_not_blocked_is_refused():
    with pytest.raises(InvalidTransition) as caught:
        rules.unblock_target("identified", "investigating")
    assert caught.value.field == "status" and "not blocked" in caught.value.message


def test_closing_a_blocked_incident_closes_it_while_blocked_only():
    assert rules.effective_target("blocked", "closed") == "closed_blocked"
    assert rules.effective_target("resolved", "closed") == "closed"


@pytest.mark.parametrize(
    ("current", "target", "event"),
    [
        ("blocked", "identified", "unblocked"),
        ("closed_blocked", "investigating", "unblocked"),
        ("blocked", "resolved", "unblocked"),
        ("blocked", "closed_blocked", "closed while blocked"),
        ("resolved", "investigating", "re-opened"),
        ("investigating", "identified", "status change"),
    ],
)
def test_the_timeline_names_leaving_blocked_unblocked_not_reopened(current, target, event):
    assert rules.status_event(current, target) == event


def test_closing_while_blocked_needs_a_resume_date_not_in_the_past():
    today = NOW.date()
    with pytest.raises(ValidationError) as caught:
        rules.check_resume_date("closed_blocked", None, today)
    assert caught.value.field == "blocked_until"
    with pytest.raises(ValidationError, match="today or later"):
        rules.check_resume_date("closed_blocked", today - timedelta(days=1), today)
    rules.check_resume_date("closed_blocked", today, today)
    rules.check_resume_date("blocked", None, today)


def test_unknown_target_status_is_refused_naming_the_known_ones():
    with pytest.raises(ValidationError) as caught:
        rules.check_transition("investigating", "fixed")
    assert caught.value.field == "status"
    assert "'fixed'" in caught.value.message
    for status in STATUSES:
        assert status in caught.value.message


# -- timestamps a status change sets -----------------------------------------------------------


def test_monitoring_sets_mitigated_at_when_unset():
    assert rules.timestamps_for_status("monitoring", NOW, {"mitigated_at": None}) == {
        "mitigated_at": NOW
    }


def test_monitoring_keeps_an_earlier_mitigated_at():
    earlier = NOW - timedelta(hours=1)
    assert rules.timestamps_for_status("monitoring", NOW, {"mitigated_at": earlier}) == {}


def test_resolving_sets_resolved_at_and_mitigated_at():
    stamps = rules.timestamps_for_status("resolved", NOW, {"mitigated_at": None})
    assert stamps == {"mitigated_at": NOW, "resolved_at": NOW}


def test_resolving_keeps_an_earlier_mitigated_at():
    earlier = NOW - timedelta(hours=1)
    assert rules.timestamps_for_status("resolved", NOW, {"mitigated_at": earlier}) == {
        "resolved_at": NOW
    }


def test_closing_sets_closed_at():
    assert rules.timestamps_for_status("closed", NOW, {}) == {"closed_at": NOW}


def test_reopening_clears_resolved_at():
    stamps = rules.timestamps_for_status("investigating", NOW, {"resolved_at": NOW})
    assert stamps == {"resolved_at": None}


@pytest.mark.parametrize("target", ["investigating", "identified", "blocked"])
def test_other_moves_set_no_timestamp(target):
    assert rules.timestamps_for_status(target, NOW, {"resolved_at": None}) == {}


# -- timestamp order ---------------------------------------------------------------------------


def test_timestamps_in_order_pass():
    rules.check_timestamp_order(
        {
            "started_at": NOW - timedelta(hours=3),
            "detected_at": NOW - timedelta(hours=2),
            "declared_at": NOW - timedelta(hours=2),
            "acknowledged_at": NOW - timedelta(hours=1),
            "mitigated_at": NOW - timedelta(minutes=30),
            "resolved_at": NOW - timedelta(minutes=10),
            "closed_at": NOW,
        },
        NOW,
    )


def test_detected_before_started_is_refused_naming_detected_at():
    with pytest.raises(ValidationError) as caught:
        rules.check_timestamp_order(
            {"started_at": NOW - timedelta(hours=1), "detected_at": NOW - timedelta(hours=2)}, NOW
        )
    assert caught.value.field == "detected_at"
    assert "is before started_at" in caught.value.message


def test_resolved_before_mitigated_is_refused_naming_resolved_at():
    with pytest.raises(ValidationError) as caught:
        rules.check_timestamp_order(
            {"mitigated_at": NOW - timedelta(hours=1), "resolved_at": NOW - timedelta(hours=2)},
            NOW,
        )
    assert caught.value.field == "resolved_at"


def test_naive_timestamp_is_refused():
    with pytest.raises(ValidationError) as caught:
        rules.check_timestamp_order({"started_at": datetime(2026, 5, 1, 10, 0)}, NOW)
    assert caught.value.field == "started_at"
    assert "time zone" in caught.value.message


def test_future_timestamp_is_refused():
    with pytest.raises(ValidationError) as caught:
        rules.check_timestamp_order({"detected_at": NOW + timedelta(hours=1)}, NOW)
    assert caught.value.field == "detected_at"
    assert "future" in caught.value.message


def test_a_little_clock_skew_is_tolerated():
    rules.check_timestamp_order({"detected_at": NOW + timedelta(minutes=2)}, NOW)


def test_missing_timestamps_are_ignored():
    rules.check_timestamp_order(
        {"started_at": None, "detected_at": NOW, "resolved_at": None, "closed_at": None}, NOW
    )


@given(
    st.dictionaries(
        st.sampled_from(rules.TIMESTAMP_FIELDS),
        st.none() | st.integers(min_value=0, max_value=10_000),
    )
)
def test_timestamps_in_field_order_always_pass(offsets):
    """Whatever subset is known, times that follow the lifecycle order pass."""
    stamps = {
        name: None if offsets.get(name) is None else NOW - timedelta(minutes=10_000 * (7 - i))
        for i, name in enumerate(rules.TIMESTAMP_FIELDS)
    }
    rules.check_timestamp_order(stamps, NOW)


# -- severity input ----------------------------------------------------------------------------

LEVELS = [
    rules.SeverityName("critical", "Critical", 1, ("sev1", "p1")),
    rules.SeverityName("major", "Major", 2, ("sev2", "p2")),
    rules.SeverityName("trivial", "Trivial", 3, ("sev3", "p3", "minor")),
]


@pytest.mark.parametrize(
    "text",
    [
        "Critical",
        "critical",
        "CRITICAL",
        " critical ",
        "sev1",
        "SEV-1",
        "Sev 1",
        "s1",
        "1",
        "p1",
        "P1",
    ],
)
def test_match_severity_accepts_the_usual_spellings_of_critical(text):
    assert rules.match_severity(text, LEVELS) == "critical"


def test_match_severity_accepts_an_alias():
    assert rules.match_severity("Minor", LEVELS) == "trivial"


def test_match_severity_accepts_a_position_beyond_the_aliases():
    assert rules.match_severity("sev3", LEVELS) == "trivial"
    assert rules.match_severity("3", LEVELS) == "trivial"


@pytest.mark.parametrize("text", ["catastrophic", "sev9", "0", "p", "sev-"])
def test_match_severity_refuses_unknown_naming_the_known_ones(text):
    with pytest.raises(ValidationError) as caught:
        rules.match_severity(text, LEVELS)
    assert caught.value.field == "severity"
    assert repr(text) in caught.value.message
    for key in ("critical (sev1)", "major (sev2)", "trivial (sev3)"):
        assert key in caught.value.message


@pytest.mark.parametrize("text", ["", "   ", None])
def test_match_severity_refuses_empty_input(text):
    with pytest.raises(ValidationError, match="choose a severity"):
        rules.match_severity(text, LEVELS)


@given(st.sampled_from(LEVELS), st.data())
def test_any_case_variation_of_a_key_or_name_matches(level, data):
    word = data.draw(st.sampled_from([level.key, level.name, *level.aliases]))
    flips = data.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    spelled = "".join(c.upper() if up else c.lower() for c, up in zip(word, flips, strict=True))
    assert rules.match_severity(spelled, LEVELS) == level.key


@given(st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=12))
def test_a_word_matches_only_when_it_is_a_known_name(word):
    """Letters alone (no position digits) match exactly when they spell a key, name or alias."""
    names = {n.lower(): lvl.key for lvl in LEVELS for n in (lvl.key, lvl.name, *lvl.aliases)}
    try:
        key = rules.match_severity(word, LEVELS)
    except ValidationError as exc:
        assert exc.field == "severity"
        assert word.strip().lower() not in names
    else:
        assert names[word.strip().lower()] == key


# -- declaration criteria ----------------------------------------------------------------------

KNOWN = ["immediate_response", "degraded_experience", "security", "data_loss", "multiple_users"]


def test_no_criterion_and_no_reason_is_refused():
    with pytest.raises(ValidationError) as caught:
        rules.check_criteria([], "  ", KNOWN)
    assert caught.value.field == "criteria"


def test_a_written_reason_alone_is_enough():
    assert rules.check_criteria([], "the CEO asked", KNOWN) == []


def test_criteria_are_kept_in_order_without_duplicates():
    chosen = rules.check_criteria(["security", "data_loss", "security"], "", KNOWN)
    assert chosen == ["security", "data_loss"]


def test_unknown_criterion_is_refused_naming_the_known_ones():
    with pytest.raises(ValidationError) as caught:
        rules.check_criteria(["vibes"], "", KNOWN)
    assert caught.value.field == "criteria"
    assert "'vibes'" in caught.value.message
    for known in KNOWN:
        assert known in caught.value.message


@given(st.lists(st.sampled_from(KNOWN), min_size=1))
def test_any_nonempty_choice_of_known_criteria_passes(chosen):
    assert rules.check_criteria(chosen, "", KNOWN) == list(dict.fromkeys(chosen))


# -- text inputs -------------------------------------------------------------------------------


def test_check_text_trims_and_accepts_up_to_the_limit():
    assert checks.check_text("  abc  ", field="title", max_length=3) == "abc"


def test_check_text_refuses_over_the_limit_naming_the_field_and_length():
    with pytest.raises(ValidationError) as caught:
        checks.check_text("x" * 201, field="title", max_length=200)
    assert caught.value.field == "title"
    assert "201" in caught.value.message and "200" in caught.value.message


def test_check_text_refuses_a_missing_required_value():
    with pytest.raises(ValidationError, match="is required"):
        checks.check_text(None, field="title", max_length=200, required=True)


def test_check_text_refuses_nul_characters_which_postgresql_cannot_store():
    with pytest.raises(ValidationError, match="NUL") as caught:
        checks.check_text("a\x00b", field="summary", max_length=100)
    assert caught.value.field == "summary"


@pytest.mark.parametrize("value", [-1, 2**31, True, "3", 1.5, None])
def test_check_whole_number_refuses_what_the_database_cannot_hold(value):
    with pytest.raises(ValidationError, match="whole number from 0 to 2147483647"):
        checks.check_whole_number(value, field="users_affected_count")


def test_check_whole_number_accepts_the_bounds():
    assert checks.check_whole_number(0, field="n") == 0
    assert checks.check_whole_number(checks.MAX_INTEGER, field="n") == checks.MAX_INTEGER


@pytest.mark.parametrize("bad", ["\x0b", "\x01", "\x1f", "\ufffe", "\uffff", "\ud800", "\x0c"])
def test_check_text_refuses_characters_xml_and_json_consumers_cannot_carry(bad):
    with pytest.raises(ValidationError, match="U\\+") as caught:
        checks.check_text(f"db{bad}down", field="summary", max_length=100)
    assert caught.value.field == "summary"


def test_check_text_keeps_tabs_and_line_breaks():
    assert checks.check_text("a\tb\r\nc", field="summary", max_length=100) == "a\tb\r\nc"


def test_a_time_with_no_utc_equivalent_is_refused_naming_its_field():
    first_moment = datetime(1, 1, 1, tzinfo=timezone(timedelta(minutes=1)))
    with pytest.raises(ValidationError) as caught:
        rules.check_timestamp_order({"started_at": first_moment}, NOW)
    assert caught.value.field == "started_at" and "out of range" in caught.value.message


@pytest.mark.parametrize("text", ["²", "sev²", "p١"])
def test_a_severity_written_with_non_ascii_digits_is_refused_naming_the_field(text):
    with pytest.raises(ValidationError) as caught:
        rules.match_severity(text, LEVELS)
    assert caught.value.field == "severity"
