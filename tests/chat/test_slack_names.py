"""Slack channel names: lowercase letters, digits, `-` and `_`, at most 80 characters."""

import re

from hypothesis import given
from hypothesis import strategies as st

from incidentdesk.chat.platforms.slack import channel_name
from incidentdesk.chat.platforms.slack.names import with_suffix

VALID = re.compile(r"^[a-z0-9_-]{1,80}$")


def test_a_reference_and_title_become_a_lowercase_hyphenated_name():
    assert channel_name("INC-2026-0042 Checkout fails!") == "inc-2026-0042-checkout-fails"


def test_punctuation_and_spaces_collapse_into_one_hyphen():
    assert channel_name("INC-7:  DB / API -- down?!") == "inc-7-db-api-down"


def test_underscores_are_kept():
    assert channel_name("inc_7 payments_eu") == "inc_7-payments_eu"


def test_accents_are_dropped_and_other_scripts_removed():
    assert channel_name("INC-3 Échec de paiement à Zürich") == "inc-3-echec-de-paiement-a-zurich"
    assert channel_name("INC-4 決済エラー") == "inc-4"
    assert channel_name("INC-5 ﬁle ＡＰＩ") == "inc-5-file-api"  # compatibility forms folded


def test_a_name_with_nothing_usable_falls_back():
    assert channel_name("🔥🔥🔥") == "incident"
    assert channel_name("") == "incident"


def test_a_long_title_is_cut_on_a_word_within_80_characters():
    name = channel_name("INC-2026-0042 " + "database connection pool exhausted " * 5)
    assert len(name) <= 80
    assert name.startswith("inc-2026-0042-database-connection-pool-exhausted")
    assert name.endswith(("database", "connection", "pool", "exhausted"))


def test_one_long_word_is_cut_at_80():
    assert channel_name("x" * 200) == "x" * 80


def test_a_suffix_keeps_the_name_within_80_characters():
    base = channel_name("a" * 80)
    assert with_suffix(base, 2) == "a" * 78 + "-2"
    assert with_suffix("inc-7-db", 12) == "inc-7-db-12"
    assert with_suffix("inc-" + "b" * 75 + "-c", 3).endswith("b-3")


@given(st.text(max_size=300))
def test_every_title_gives_a_valid_name(title):
    assert VALID.match(channel_name(title))


@given(st.text(max_size=300), st.integers(min_value=2, max_value=10_000))
def test_every_suffixed_name_is_valid(title, number):
    assert VALID.match(with_suffix(channel_name(title), number))
