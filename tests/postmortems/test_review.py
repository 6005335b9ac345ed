import csv
import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import action_item_create, action_item_update
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.postmortems.feedback import feedback_give
from incidentdesk.postmortems.followups import followup_create
from incidentdesk.postmortems.review import (
    DIGEST_TOPIC,
    review_digest_send,
    review_report,
    review_text,
    went_well_add,
)

WEB = ActionSource.WEB
MONDAY_8 = datetime(2026, 3, 2, 8, 15, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def reviewed(started, responder, make_user):
    """Two postmortems with follow-ups in every state, a win and feedback."""
    make_user(username="omar", email="omar@example.com")
    first, second = started(title="Checkout down"), started(title="Search slow")
    today = timezone.localdate()

    def add(postmortem, title, owner, due, status=None, reason=""):
        item = followup_create(
            actor=responder, source=WEB, postmortem=postmortem, title=title, owner=owner
        )
        # Then its due date as time has it now (possibly past), and where it got to.
        changes = {"due_date": due}
        if status:
            changes.update(
                {"status": status, "wont_do_reason": reason} if reason else {"status": status}
            )
        return action_item_update(actor=responder, source=WEB, item=item, changes=changes)

    shed = add(first, "Add load shedding", "rita", today + timedelta(days=5), "done")
    add(first, "Page on error rate", "omar", today - timedelta(days=2))
    add(first, "Rewrite the cache", "omar", today + timedelta(days=9), "wont_do", "too costly")
    add(second, "Index the title", "rita", today + timedelta(days=20))
    went_well_add(
        actor=responder,
        source=WEB,
        postmortem=second,
        text="Load shedding kept search up",
        action_item=shed.pk,
    )
    went_well_add(actor=responder, source=WEB, postmortem=second, text="Fast paging")
    feedback_give(
        actor=responder,
        source=WEB,
        postmortem=first,
        response_rating=4,
        postmortem_rating=5,
        improve="Start the postmortem sooner",
    )
    return first, second


def test_the_review_counts_actions_by_state_owner_and_incident(reviewed):
    first, second = reviewed
    report = review_report()
    assert report["totals"] == {"done": 1, "pending": 1, "overdue": 1, "wont_do": 1}
    owners = {g["owner"]: g for g in report["by_owner"]}
    assert (owners["omar"]["overdue"], owners["omar"]["wont_do"]) == (1, 1)
    assert (owners["rita"]["done"], owners["rita"]["pending"]) == (1, 1)
    incidents = {g["incident"]: g for g in report["by_incident"]}
    assert incidents[first.incident.reference]["done"] == 1
    assert incidents[second.incident.reference]["pending"] == 1


def test_the_review_lists_wins_crediting_earlier_actions(reviewed):
    first, second = reviewed
    [win] = review_report()["wins"]
    assert win["incident"] == second.incident.reference
    assert win["action_item"]["title"] == "Add load shedding"
    assert win["action_item"]["incident"] == first.incident.reference


def test_the_review_shows_feedback_averages_and_comments(reviewed):
    feedback = review_report()["feedback"]
    assert feedback["count"] == 1 and feedback["response_average"] == 4.0
    assert feedback["comments"][0]["text"] == "Start the postmortem sooner"


def test_the_review_since_a_later_date_is_empty(reviewed):
    report = review_report(since=timezone.localdate() + timedelta(days=1))
    assert report["totals"] == {"done": 0, "pending": 0, "overdue": 0, "wont_do": 0}
    assert report["wins"] == []


def test_response_actions_are_not_in_the_review(started, responder):
    postmortem = started()
    action_item_create(
        actor=responder, source=WEB, incident=postmortem.incident, title="Restart the pods"
    )
    assert review_report()["totals"]["pending"] == 0


def test_a_win_must_credit_an_action_of_another_incident(reviewed, responder):
    first, _ = reviewed
    own = first.incident.actions.first()
    with pytest.raises(ValidationError) as error:
        went_well_add(actor=responder, source=WEB, postmortem=first, text="x", action_item=own.pk)
    assert error.value.field == "action_item"
    with pytest.raises(ValidationError):
        went_well_add(actor=responder, source=WEB, postmortem=first, text=" ", action_item=None)


def test_the_review_command_prints_the_text_and_json(reviewed, cli):
    run = cli("review")
    assert run.code == 0
    assert "Total: 1 done, 1 pending, 1 overdue, 1 wont do" in run.out
    assert "[overdue] Page on error rate" in run.out and "Load shedding kept search up" in run.out
    assert "Response: 4.0 / 5" in run.out
    data = json.loads(cli("review", "--json").out)
    assert data["totals"]["overdue"] == 1


def test_the_review_command_refuses_a_bad_date(cli):
    run = cli("review", "--since", "yesterday")
    assert run.code == 2 and "since" in run.err


def test_the_review_through_the_api(reviewed, api_client, viewer):
    body = api_client(viewer, scope="read").call("GET", "/review").json_body
    assert body["totals"]["done"] == 1 and len(body["wins"]) == 1


def test_the_review_csv_has_a_row_per_follow_up_and_no_cell_runs_as_a_formula(
    reviewed, api_client, viewer, responder, cli
):
    first, _ = reviewed
    followup_create(
        actor=responder, source=WEB, postmortem=first, title="=HYPERLINK(1)", owner="rita"
    )
    client = api_client(viewer, scope="read")
    by_param = client.get("/api/v1/review?format=csv")
    by_header = client.get("/api/v1/review", HTTP_ACCEPT="text/csv")
    assert by_param.status_code == by_header.status_code == 200
    assert by_param["Content-Type"].startswith("text/csv")
    assert by_param.content == by_header.content
    rows = list(csv.DictReader(io.StringIO(by_param.content.decode(), newline="")))
    assert len(rows) == 5
    titles = {row["title"] for row in rows}
    assert "'=HYPERLINK(1)" in titles and "Page on error rate" in titles
    overdue = next(row for row in rows if row["title"] == "Page on error rate")
    assert overdue["state"] == "overdue" and overdue["owner"] == "omar"
    assert overdue["incident"] == first.incident.reference
    assert cli("review", "--csv").out == by_param.content.decode()


def test_the_review_api_refuses_an_unknown_format(api_client, viewer):
    response = api_client(viewer, scope="read").get("/api/v1/review?format=xml")
    assert response.status_code == 422 and "format" in response.content.decode()


def test_the_weekly_digest_goes_to_managers_on_monday_morning_once(reviewed, manager, admin):
    assert review_digest_send(now=MONDAY_8 - timedelta(days=1)) is False
    assert review_digest_send(now=MONDAY_8) is True
    assert review_digest_send(now=MONDAY_8 + timedelta(minutes=30)) is False
    [event] = OutboxEvent.objects.filter(topic=DIGEST_TOPIC)
    assert sorted(event.staff_emails) == sorted([manager.email, admin.email])
    assert "2026-W10" in event.payload["email"]["subject"]
    text = event.payload["email"]["text"]
    assert "Page on error rate" in text and "Wins" in text


def test_the_listing_shows_open_actions_wont_dos_with_reasons_and_this_weeks_done(reviewed):
    text = review_text(review_report())
    assert "[overdue] Page on error rate" in text and "[pending] Index the title" in text
    assert "[won't do] Rewrite the cache: too costly" in text
    assert "[done] Add load shedding" in text  # done today
    next_month = review_text(review_report(today=timezone.localdate() + timedelta(days=30)))
    assert "[done] Add load shedding" not in next_month and "1 done" in next_month


def test_the_digest_hour_follows_the_reporting_time_zone(settings, manager):
    settings.REPORTING_TIME_ZONE = "Europe/Paris"
    assert review_digest_send(now=MONDAY_8) is False  # 09:15 in Paris
    assert review_digest_send(now=MONDAY_8 - timedelta(hours=1)) is True


def test_the_review_text_says_none_when_there_is_nothing(db):
    text = review_text(review_report(today=date(2026, 3, 2)))
    assert "Total: 0 done" in text and "none" in text


def test_the_review_counts_follow_ups_of_incidents_without_a_postmortem(
    declare, responder, make_user
):
    omar = make_user(username="omar", email="omar@example.com")
    incident = declare(title="Login is slow")  # no postmortem was ever started
    item = action_item_create(
        actor=responder,
        source=WEB,
        incident=incident,
        title="Cache the session lookup",
        phase="follow_up",
        owner=omar,
    )
    overdue = timezone.localdate() - timedelta(days=3)
    action_item_update(actor=responder, source=WEB, item=item, changes={"due_date": overdue})
    report = review_report()
    assert report["totals"]["overdue"] == 1
    [group] = report["by_incident"]
    assert (group["incident"], group["overdue"]) == (incident.reference, 1)
    assert "Cache the session lookup" in review_text(report)
    assert review_report(since=timezone.localdate())["totals"]["overdue"] == 1
    later = timezone.localdate() + timedelta(days=1)
    assert review_report(since=later)["totals"]["overdue"] == 0
