"""Action items: created during the response, followed up after it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import ActionItem, TimelineEntry
from incidentdesk.incidents.selectors import overdue_actions
from incidentdesk.incidents.services import action_item_create, action_item_update

WEB = ActionSource.WEB


@pytest.fixture
def incident(declare):
    return declare(severity="critical")


def create(incident, actor, title="Add an alert on queue depth", **fields):
    return action_item_create(actor=actor, source=WEB, incident=incident, title=title, **fields)


def update(item, actor, **changes):
    return action_item_update(actor=actor, source=WEB, item=item, changes=changes)


def test_creating_an_action_item_notes_it_on_the_timeline(incident, responder, make_user):
    owner = make_user(username="olga", first_name="Olga")
    item = create(incident, responder, owner="olga", category="detect", priority="HIGH")
    assert (item.owner, item.category, item.priority, item.status) == (
        owner,
        "detect",
        "high",
        "open",
    )
    assert item.created_by == responder
    entry = TimelineEntry.objects.get(incident=incident, kind="action")
    assert entry.body == "Action item added: Add an alert on queue depth (owner: Olga)"
    assert entry.data == {"action_item": item.pk}


def test_a_response_action_has_no_due_date_by_default(incident, responder):
    assert create(incident, responder).due_date is None


def test_a_follow_up_is_due_by_the_severity_policy(incident, responder):
    item = create(incident, responder, phase="follow_up")
    # Critical incidents' follow-ups are due in 15 days (default policy).
    assert item.due_date == timezone.localdate() + timedelta(days=15)


def test_a_follow_up_keeps_a_given_due_date(incident, responder):
    due = timezone.localdate() + timedelta(days=2)
    assert create(incident, responder, phase="follow_up", due_date=due).due_date == due


def test_wont_do_needs_a_reason(incident, responder):
    item = create(incident, responder)
    with pytest.raises(ValidationError) as caught:
        update(item, responder, status="wont_do")
    assert caught.value.field == "wont_do_reason"
    assert ActionItem.objects.get(pk=item.pk).status == "open"


def test_wont_do_with_a_reason_is_noted_on_the_timeline(incident, responder):
    item = update(create(incident, responder), responder, status="wont_do", wont_do_reason="dup")
    assert item.status == "wont_do"
    entry = TimelineEntry.objects.filter(incident=incident, kind="field_change").last()
    assert entry.body.endswith("open → wont_do: dup")


def test_done_records_when_and_is_a_result(incident, responder):
    item = update(create(incident, responder), responder, status="done")
    assert item.completed_at is not None
    entry = TimelineEntry.objects.get(incident=incident, kind="result")
    assert entry.data["to"] == "done"


def test_reopening_a_done_item_clears_completed_at(incident, responder):
    item = update(create(incident, responder), responder, status="done")
    assert update(item, responder, status="open").completed_at is None


def test_an_unknown_choice_is_refused_naming_the_options(incident, responder):
    with pytest.raises(ValidationError) as caught:
        create(incident, responder, phase="someday")
    assert caught.value.field == "phase"
    assert "follow_up" in caught.value.message
    assert not ActionItem.objects.exists()


def test_an_unknown_owner_is_refused(incident, responder):
    with pytest.raises(NotFound) as caught:
        create(incident, responder, owner="nobody")
    assert caught.value.field == "owner"


def test_an_empty_title_is_refused(incident, responder):
    with pytest.raises(ValidationError) as caught:
        create(incident, responder, title=" ")
    assert caught.value.field == "title"


def test_an_unknown_field_is_refused(incident, responder):
    with pytest.raises(ValidationError) as caught:
        update(create(incident, responder), responder, colour="red")
    assert caught.value.field == "colour"


def test_overdue_lists_pending_items_past_their_due_date(incident, responder):
    yesterday = timezone.localdate() - timedelta(days=1)
    late = create(incident, responder, title="late", due_date=yesterday)
    create(incident, responder, title="on time", due_date=timezone.localdate())
    create(incident, responder, title="no date")
    done = update(
        create(incident, responder, title="done", due_date=yesterday), responder, status="done"
    )
    assert list(ActionItem.objects.overdue()) == [late]
    assert list(overdue_actions()) == [late]
    assert late.is_overdue and not done.is_overdue
