"""The command language's `page [person|schedule|policy] [message]` and `ack`, run as every
door runs them (incidents' command_run); their web, API, CLI and chat parity is in
tests/test_parity.py."""

import pytest

from incidentdesk.accounts.models import Role
from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.commands import help_text
from incidentdesk.incidents.services.commands import command_run
from incidentdesk.oncall.models import Page, PageStatus
from incidentdesk.oncall.paging import page_create

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


@pytest.fixture
def trivial(declare, responder):
    """An incident whose severity does not page by itself."""
    return declare(actor=responder, severity="trivial", title="Search is slow")


def run(actor, incident, text):
    return command_run(actor=actor, source=ActionSource.CHAT, incident=incident, text=text)


def test_page_alone_pages_the_on_call_lead(trivial, responder, make_policy, crew):
    make_policy([{"target": "person", "person": "cy"}], name="Lead", is_default=True)
    result = run(responder, trivial, "page")
    page = Page.objects.get()
    assert result.reply == f"Paged the escalation policy Lead (page {page.pk})."
    assert (page.incident, page.source, page.message) == (trivial, "chat", "")
    assert page.notices.get().user == crew["cy"]


def test_page_a_person_with_a_message(trivial, responder, crew):
    result = run(responder, trivial, "page bob the index is corrupt")
    page = Page.objects.get()
    assert page.message == "the index is corrupt"
    assert page.notices.get().user == crew["bob"]
    assert result.reply.startswith("Paged ")


def test_page_a_schedule_pages_whoever_is_on_call(trivial, responder, primary, crew):
    run(responder, trivial, "PAGE primary")
    assert Page.objects.get().notices.get().user == crew["ada"]


def test_a_quoted_name_pages_a_policy_with_spaces_in_its_name(
    trivial, responder, make_policy, crew
):
    make_policy([{"target": "person", "person": "dee"}], name="Database team")
    run(responder, trivial, 'page "Database team" replica lag')
    page = Page.objects.get()
    assert (page.policy.name, page.message) == ("Database team", "replica lag")


def test_a_first_word_that_names_nobody_is_the_message_to_the_on_call_lead(
    trivial, responder, make_policy, crew
):
    make_policy([{"target": "person", "person": "cy"}], name="Lead", is_default=True)
    run(responder, trivial, "page checkout is failing again")
    page = Page.objects.get()
    assert (page.policy.name, page.message) == ("Lead", "checkout is failing again")


def test_an_at_name_that_is_nobody_is_refused_not_sent_to_the_lead(
    trivial, responder, make_policy, crew
):
    make_policy([{"target": "person", "person": "cy"}], name="Lead", is_default=True)
    with pytest.raises(ValidationError) as refused:
        run(responder, trivial, "page @bbo wake up")
    assert refused.value.field == "text"
    assert not Page.objects.exists()


def test_page_without_a_default_policy_says_to_name_someone(trivial, responder):
    with pytest.raises(ValidationError) as refused:
        run(responder, trivial, "page")
    assert refused.value.field == "target"
    assert "default escalation policy" in refused.value.message


def test_a_viewer_may_not_page(trivial, make_user, crew):
    with pytest.raises(PermissionDenied):
        run(make_user(Role.VIEWER, username="val"), trivial, "page bob")
    assert not Page.objects.exists()


def test_ack_acknowledges_every_waiting_page_of_the_incident(trivial, responder, crew):
    first = page_create(actor=responder, source=WEB, person="ada", incident=trivial)
    second = page_create(actor=responder, source=WEB, person="bob", incident=trivial)
    Page.objects.filter(pk=second.pk).update(status=PageStatus.EXHAUSTED)
    result = run(crew["ada"], trivial, "ack")
    assert (
        result.reply == f"Acknowledged pages {first.pk}, {second.pk}: the escalation has stopped."
    )
    for page in Page.objects.all():
        assert (page.status, page.acknowledged_by) == (PageStatus.ACKNOWLEDGED, crew["ada"])
    trivial.refresh_from_db()
    assert trivial.acknowledged_at is not None


def test_a_paged_viewer_may_ack_what_they_were_paged_for(trivial, responder, make_user):
    val = make_user(Role.VIEWER, username="val")
    page = page_create(actor=responder, source=WEB, person="val", incident=trivial)
    run(val, trivial, "acknowledge")
    page.refresh_from_db()
    assert page.acknowledged_by == val


def test_ack_with_nothing_waiting_acknowledges_the_incident(trivial, responder):
    result = run(responder, trivial, "ack")
    assert "No page was waiting" in result.reply
    trivial.refresh_from_db()
    assert trivial.acknowledged_at is not None


def test_help_lists_page_and_ack():
    text = help_text()
    assert "page [person|schedule|policy] [message]" in text
    assert "\n  ack " in text


def test_a_message_on_the_next_line_follows_the_target(trivial, responder, crew):
    run(responder, trivial, "page bob\nthe index is corrupt\nsince 10:42")
    page = Page.objects.get()
    assert page.message == "the index is corrupt\nsince 10:42"
    assert page.notices.get().user == crew["bob"]
