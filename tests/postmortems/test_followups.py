from datetime import date, timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import NotFound, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import ActionItem, ActionPhase
from incidentdesk.incidents.services import action_item_update
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.postmortems.followups import (
    REMINDER_TOPIC,
    followup_create,
    followup_reminders_send,
    reminder_step,
)

WEB = ActionSource.WEB


def _add(postmortem, actor, **fields):
    fields.setdefault("title", "Alert on queue depth")
    fields.setdefault("owner", "rita")
    return followup_create(actor=actor, source=WEB, postmortem=postmortem, **fields)


def _reminders():
    return list(OutboxEvent.objects.filter(topic=REMINDER_TOPIC).order_by("id"))


def test_a_follow_up_gets_its_due_date_from_the_severity_policy(started, responder):
    postmortem = started(severity="critical")
    item = _add(postmortem, responder, category="detect", priority="high")
    assert item.phase == ActionPhase.FOLLOW_UP and item.owner == responder
    assert item.due_date == timezone.localdate() + timedelta(days=15)
    assert item.category == "detect" and item.priority == "high"


def test_a_given_due_date_and_ticket_link_are_kept(started, responder):
    item = _add(started(), responder, due_date=date(2030, 1, 2), external_url="https://t.example/1")
    assert item.due_date == date(2030, 1, 2) and item.external_url == "https://t.example/1"


def test_a_follow_up_needs_one_owner(started, responder):
    with pytest.raises(ValidationError) as error:
        _add(started(), responder, owner="")
    assert error.value.field == "owner"
    assert not ActionItem.objects.filter(phase=ActionPhase.FOLLOW_UP).exists()


@pytest.mark.parametrize("due", [date(1900, 1, 1), date(9999, 12, 31)])
def test_a_due_date_in_the_past_or_years_away_is_refused(started, responder, due):
    with pytest.raises(ValidationError) as error:
        _add(started(), responder, due_date=due)
    assert error.value.field == "due_date"
    assert not ActionItem.objects.filter(phase=ActionPhase.FOLLOW_UP).exists()


def test_a_follow_up_cannot_lose_its_owner(started, responder):
    item = _add(started(), responder)
    with pytest.raises(ValidationError) as error:
        action_item_update(actor=responder, source=WEB, item=item, changes={"owner": ""})
    assert error.value.field == "owner"
    item.refresh_from_db()
    assert item.owner == responder


def test_an_unknown_owner_or_category_is_refused_naming_the_field(started, responder):
    postmortem = started()
    with pytest.raises(NotFound) as error:
        _add(postmortem, responder, owner="nobody")
    assert error.value.field == "owner"
    with pytest.raises(ValidationError) as error:
        _add(postmortem, responder, category="blame")
    assert error.value.field == "category"


def test_a_viewer_cannot_add_follow_ups(started, viewer):
    with pytest.raises(PermissionDenied):
        _add(started(), viewer)


@pytest.mark.parametrize(
    ("days_left", "step"),
    [
        (10, None),
        (4, None),
        (3, "due_soon"),
        (0, "due_soon"),
        (-1, "overdue:0"),
        (-7, "overdue:0"),
        (-8, "overdue:1"),
        (-15, "overdue:2"),
    ],
)
def test_reminder_steps_are_three_days_before_then_overdue_weekly(days_left, step):
    due = date(2026, 3, 10)
    found = reminder_step(due, due - timedelta(days=days_left))
    assert found == (f"2026-03-10:{step}" if step else None)


def test_the_owner_is_reminded_before_the_due_date_once(started, responder):
    item = _add(started(), responder, due_date=timezone.localdate() + timedelta(days=2))
    assert followup_reminders_send() == 1
    assert followup_reminders_send() == 0
    [event] = _reminders()
    assert event.staff_emails == [responder.email]
    assert item.title in event.payload["email"]["text"]
    assert "due in 2 days" in event.payload["email"]["subject"]


def test_an_overdue_action_is_reminded_then_weekly(started, responder):
    item = _add(started(), responder, due_date=timezone.localdate() + timedelta(days=1))
    now = timezone.now()
    assert followup_reminders_send(now=now) == 1  # due soon
    assert followup_reminders_send(now=now + timedelta(days=2)) == 1  # first day overdue
    assert followup_reminders_send(now=now + timedelta(days=5)) == 0
    assert followup_reminders_send(now=now + timedelta(days=9)) == 1  # a week later
    subjects = [e.payload["email"]["subject"] for e in _reminders()]
    assert "overdue" in subjects[1] and "overdue" in subjects[2]
    assert "overdue by 1 day " in _reminders()[1].payload["email"]["text"]
    assert all(e.payload["action_item"] == item.pk for e in _reminders())


def test_done_or_far_off_actions_are_not_reminded(started, responder):
    postmortem = started()
    _add(postmortem, responder)  # 30 days away
    done = _add(postmortem, responder, due_date=timezone.localdate())
    action_item_update(actor=responder, source=WEB, item=done, changes={"status": "done"})
    assert followup_reminders_send() == 0 and not _reminders()


def test_moving_the_due_date_starts_the_reminders_again(started, responder):
    item = _add(started(), responder, due_date=timezone.localdate() + timedelta(days=1))
    assert followup_reminders_send() == 1
    new_due = timezone.localdate() + timedelta(days=3)
    action_item_update(actor=responder, source=WEB, item=item, changes={"due_date": new_due})
    assert followup_reminders_send() == 1


def test_follow_ups_are_listed_and_added_on_the_page(started, responder, client):
    postmortem = started()
    ref = postmortem.incident.reference
    client.force_login(responder)
    response = client.post(
        f"/incidents/{ref}/postmortem/followups",
        {"title": "Add a canary stage", "owner": "rita", "category": "prevent", "due_date": ""},
    )
    assert response.status_code == 302
    page = client.get(f"/incidents/{ref}/postmortem").content.decode()
    assert "Add a canary stage" in page and "Improvement actions" in page


@pytest.mark.parametrize("typed", ["next week", "2026-02-30"])
def test_a_bad_due_date_on_the_page_names_the_field(started, responder, client, typed):
    ref = started().incident.reference
    client.force_login(responder)
    response = client.post(
        f"/incidents/{ref}/postmortem/followups",
        {"title": "x", "owner": "rita", "due_date": typed},
        follow=True,
    )
    assert response.status_code < 500
    assert "Must be a date" in response.content.decode()  # as a sentence, at the field
    assert not ActionItem.objects.filter(phase=ActionPhase.FOLLOW_UP).exists()


def test_follow_ups_through_the_api(started, responder, api_client):
    ref = started(severity="critical").incident.reference
    client = api_client(responder)
    created = client.call(
        "POST", f"/incidents/{ref}/postmortem/followups", {"title": "Runbook", "owner": "rita"}
    )
    assert created.status_code == 201
    expected = (timezone.localdate() + timedelta(days=15)).isoformat()
    assert created.json_body["due_date"] == expected
    listed = client.call("GET", f"/incidents/{ref}/postmortem/followups").json_body
    assert [i["title"] for i in listed] == ["Runbook"]
    bad = client.call("POST", f"/incidents/{ref}/postmortem/followups", {"title": "x"})
    assert bad.status_code == 422 and bad.json_body["field"] == "owner"
