"""The incident page's timeline is searched and filtered in place: words in the entries' text
or their author's name, with the kind and pinned filters, from the page's address (shareable,
working without JavaScript) or the htmx filter, which keeps the address in step."""

import pytest
from django.urls import reverse

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import selectors
from incidentdesk.incidents.services import timeline_entry_add, timeline_entry_pin

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
WEB = ActionSource.WEB


@pytest.fixture
def story(declare, responder, make_user):
    """An incident whose timeline has notes by two people, one of them pinned."""
    incident = declare(title="Checkout is failing")
    dana = make_user(username="dana", first_name="Dana", last_name="Okafor")
    add = lambda actor, body, kind="note": timeline_entry_add(  # noqa: E731
        actor=actor, source=WEB, incident=incident, kind=kind, body=body
    )
    failover = add(responder, "The primary DATABASE failed over to the replica")
    add(dana, "Rolled back release 2026.11.3", kind="decision")
    add(dana, "Checkout error rate back under 1%")
    timeline_entry_pin(actor=responder, source=WEB, entry=failover, pinned=True)
    return incident


def bodies(entries) -> list[str]:
    return sorted(entry.body for entry in entries)


def test_the_search_finds_words_in_the_text_whatever_their_case(story):
    assert bodies(selectors.timeline(story, text="database")) == [
        "The primary DATABASE failed over to the replica"
    ]


def test_every_word_must_match_the_text_or_the_author(story):
    assert bodies(selectors.timeline(story, text="dana checkout")) == [
        "Checkout error rate back under 1%"
    ]
    assert bodies(selectors.timeline(story, text="okafor")) == [
        "Checkout error rate back under 1%",
        "Rolled back release 2026.11.3",
    ]
    assert bodies(selectors.timeline(story, text="rita replica")) == [
        "The primary DATABASE failed over to the replica"
    ]
    assert list(selectors.timeline(story, text="dana replica")) == []


def test_search_characters_are_words_not_patterns(story):
    assert bodies(selectors.timeline(story, text="1%")) == ["Checkout error rate back under 1%"]
    assert list(selectors.timeline(story, text="_%")) == []


def test_the_search_combines_with_kind_and_pinned(story):
    assert bodies(selectors.timeline(story, text="dana", kinds=["decision"])) == [
        "Rolled back release 2026.11.3"
    ]
    assert bodies(selectors.timeline(story, text="primary", pinned_only=True)) == [
        "The primary DATABASE failed over to the replica"
    ]
    assert list(selectors.timeline(story, text="dana", pinned_only=True)) == []


def test_the_page_address_searches_the_timeline_without_javascript(client, responder, story):
    client.force_login(responder)
    page = reverse("incident_detail", args=[story.reference])
    body = client.get(page, {"q": "rolled"}).content.decode()
    timeline = body[body.index('id="timeline"') :]
    assert "Rolled back release" in timeline
    assert "The primary DATABASE" not in timeline
    assert 'value="rolled"' in body  # the search field says what was searched
    assert "1 entry matches “rolled”" in body


def test_the_filter_form_sent_without_htmx_lands_on_the_filtered_page(client, responder, story):
    client.force_login(responder)
    response = client.get(
        reverse("incident_timeline", args=[story.reference]), {"q": " dana ", "kind": ""}
    )
    page = reverse("incident_detail", args=[story.reference])
    assert response.status_code == 302
    assert response["Location"] == f"{page}?q=dana#timeline"


def test_the_htmx_search_answers_the_entries_and_keeps_the_address_in_step(
    client, responder, story
):
    client.force_login(responder)
    response = client.get(
        reverse("incident_timeline", args=[story.reference]),
        {"q": "checkout", "kind": "note", "pinned": ""},
        **HTMX,
    )
    page = reverse("incident_detail", args=[story.reference])
    assert response["HX-Replace-Url"] == f"{page}?q=checkout&kind=note"
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="timeline"')
    assert "Checkout error rate" in body and "Rolled back" not in body
    assert 'id="command-input"' not in body  # the box being typed in is never replaced


def test_clearing_the_search_shows_every_entry_at_the_bare_address(client, responder, story):
    client.force_login(responder)
    response = client.get(reverse("incident_timeline", args=[story.reference]), {"q": ""}, **HTMX)
    assert response["HX-Replace-Url"] == reverse("incident_detail", args=[story.reference])
    assert response.content.decode().count('class="entry ') == 4  # declared + three notes


def test_a_write_from_a_searched_page_keeps_the_timeline_searched(client, responder, story):
    client.force_login(responder)
    page = reverse("incident_detail", args=[story.reference])
    response = client.post(
        reverse("incident_command", args=[story.reference]),
        {"text": "note Replica promoted"},
        HTTP_HX_CURRENT_URL=f"http://testserver{page}?q=replica",
        **HTMX,
    )
    assert response.status_code == 200
    timeline = response.content.decode().split('id="timeline"', 1)[1]
    assert "Replica promoted" in timeline
    assert "The primary DATABASE" in timeline
    assert "Rolled back release" not in timeline
