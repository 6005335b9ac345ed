"""Follow-ups, "what went well", the root-cause meeting and feedback from the CLI."""

import json
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import ActionItem, ActionPhase, TimelineEntry
from incidentdesk.incidents.services import action_item_update
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.postmortems.followups import followup_create
from incidentdesk.postmortems.meetings import MEETING_TOPIC
from incidentdesk.postmortems.models import Feedback, RootCauseMeeting, WentWell


@pytest.fixture
def ref(started):
    return started(title="Checkout is failing").incident.reference


@pytest.fixture
def omar(make_user):
    return make_user(username="omar", email="omar@example.com")


@pytest.fixture
def paris(settings):
    settings.REPORTING_TIME_ZONE = "Europe/Paris"


def _followups():
    return ActionItem.objects.filter(phase=ActionPhase.FOLLOW_UP)


def _schedule(cli, ref, *extra):
    return cli(
        "postmortem", "meeting", ref, "--at", "2026-03-04 14:00", "--duration", "45",
        "--attendee", "rita", "--attendee", "omar", "--as", "rita", *extra,
    )  # fmt: skip


def _one_line_error(run, flag: str) -> None:
    assert run.code == 2, run
    assert run.err.count("\n") == 1 and run.err.startswith("error: "), run.err
    assert flag in run.err and "Traceback" not in run.err


# Follow-ups ------------------------------------------------------------------------------


def test_a_follow_up_from_the_cli_is_due_by_the_severity_policy(cli, started, responder):
    ref = started(severity="critical").incident.reference
    run = cli(
        "postmortem", "followup", ref, "--title", "Alert on replica lag", "--owner", "rita",
        "--as", "rita",
    )  # fmt: skip
    assert run.code == 0, run.err
    [item] = _followups()
    due = timezone.localdate() + timedelta(days=15)
    assert item.owner == responder and item.due_date == due and item.priority == "medium"
    assert run.out.strip() == f"follow-up #{item.pk}: owner rita, due {due.isoformat()}"
    entry = TimelineEntry.objects.get(data__action_item=item.pk)
    assert entry.source == ActionSource.CLI


def test_a_follow_up_keeps_the_given_due_date_category_priority_and_ticket(cli, ref, omar):
    run = cli(
        "postmortem", "followup", ref, "--title", "Test the migration on a copy",
        "--owner", "omar", "--due", "2030-01-02", "--category", "Prevent", "--priority", "high",
        "--ticket", "https://tracker.example/T-7", "--as", "rita",
    )  # fmt: skip
    assert run.code == 0, run.err
    [item] = _followups()
    assert (item.owner, item.due_date) == (omar, date(2030, 1, 2))
    assert (item.category, item.priority) == ("prevent", "high")
    assert item.external_url == "https://tracker.example/T-7"
    assert "due 2030-01-02" in run.out


def test_follow_ups_are_listed_with_the_overdue_ones_marked(cli, started, responder, omar):
    postmortem = started()
    ref = postmortem.incident.reference
    late = followup_create(
        actor=responder, source=ActionSource.WEB, postmortem=postmortem, title="Add a canary",
        owner="omar",
    )  # fmt: skip
    # Time passes: the due date moves into the past.
    late = action_item_update(
        actor=responder, source=ActionSource.WEB, item=late,
        changes={"due_date": timezone.localdate() - timedelta(days=2)},
    )  # fmt: skip
    cli("postmortem", "followup", ref, "--title", "Page on lag", "--owner", "rita", "--as", "rita")
    run = cli("postmortem", "followups", ref)
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "OWNER", "DUE", "TITLE"]
    [late_line] = [line for line in lines if "Add a canary" in line]
    assert late_line.startswith(f"{late.pk} ") and "open (overdue)" in late_line
    assert "omar" in late_line
    [other] = [line for line in lines if "Page on lag" in line]
    assert "overdue" not in other and "rita" in other


def test_follow_ups_as_json_have_the_api_shape(cli, ref, responder, api_client):
    cli("postmortem", "followup", ref, "--title", "Page on lag", "--owner", "rita", "--as", "rita")
    run = cli("postmortem", "followups", ref, "--json")
    assert run.code == 0
    api = api_client(responder).call("GET", f"/incidents/{ref}/postmortem/followups")
    assert api.status_code == 200
    assert json.loads(run.out) == api.json_body


# What went well -------------------------------------------------------------------------


def test_what_went_well_is_noted_from_the_cli(cli, ref, responder):
    run = cli("postmortem", "went-well", ref, "--text", "The on-call answered in 2 minutes.",
              "--as", "rita")  # fmt: skip
    assert run.code == 0, run.err
    entry = WentWell.objects.get()
    assert entry.text == "The on-call answered in 2 minutes." and entry.action_item is None
    assert entry.created_by == responder and run.out.strip() == f"noted: #{entry.pk}"


def test_went_well_credits_an_earlier_incidents_action_as_a_win(cli, started, responder):
    earlier = started(title="Replica lag")
    action = followup_create(
        actor=responder, source=ActionSource.WEB, postmortem=earlier, title="Rate-limit imports",
        owner="rita",
    )  # fmt: skip
    ref = started(title="Import storm").incident.reference
    run = cli("postmortem", "went-well", ref, "--text", "The rate limit held.",
              "--action", f"#{action.pk}", "--as", "rita")  # fmt: skip
    assert run.code == 0, run.err
    entry = WentWell.objects.get()
    assert entry.action_item == action and entry.postmortem.incident.reference == ref
    assert f"a win thanks to #{action.pk} of {earlier.incident.reference}" in run.out


def test_went_well_refuses_an_action_of_the_same_incident_naming_the_option(
    cli, started, responder
):
    postmortem = started()
    action = followup_create(
        actor=responder, source=ActionSource.WEB, postmortem=postmortem, title="Canary",
        owner="rita",
    )  # fmt: skip
    run = cli("postmortem", "went-well", postmortem.incident.reference, "--text", "It held.",
              "--action", str(action.pk), "--as", "rita")  # fmt: skip
    _one_line_error(run, "error: --action: must be an action item of an earlier incident")
    assert not WentWell.objects.exists()


# The root-cause meeting -----------------------------------------------------------------


def test_a_meeting_time_without_an_offset_is_read_in_the_reporting_time_zone(
    cli, ref, responder, omar, paris
):
    run = _schedule(cli, ref, "--location", "https://meet.example/rca")
    assert run.code == 0, run.err
    meeting = RootCauseMeeting.objects.get()
    assert meeting.starts_at == datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
    assert meeting.duration_minutes == 45 and meeting.location == "https://meet.example/rca"
    assert set(meeting.attendees.all()) == {responder, omar}
    assert run.out.strip() == (
        "meeting scheduled: 26-03-04 14:00 Europe/Paris, 45 minutes; "
        "invitations emailed to omar, rita"
    )
    invites = OutboxEvent.objects.filter(topic=MEETING_TOPIC).order_by("id")
    assert [e.staff_emails for e in invites] == [[responder.email], [omar.email]]
    assert "2026-03-04 14:00 Europe/Paris" in invites[0].payload["email"]["text"]
    entry = TimelineEntry.objects.get(data__postmortem__meeting=meeting.pk)
    assert entry.source == ActionSource.CLI


def test_a_meeting_time_with_an_offset_is_taken_as_given(cli, ref, responder, paris):
    run = cli("postmortem", "meeting", ref, "--at", "2026-03-04T14:00+05:30",
              "--attendee", "rita", "--as", "rita")  # fmt: skip
    assert run.code == 0, run.err
    meeting = RootCauseMeeting.objects.get()
    assert meeting.starts_at == datetime(2026, 3, 4, 8, 30, tzinfo=UTC)
    assert meeting.duration_minutes == 60


def test_moving_the_meeting_keeps_its_invite_and_raises_the_sequence(cli, ref, responder, omar):
    _schedule(cli, ref)
    first = RootCauseMeeting.objects.get()
    run = cli("postmortem", "meeting", ref, "--at", "2026-03-05 09:30", "--attendee", "omar",
              "--as", "rita")  # fmt: skip
    assert run.code == 0 and run.out.startswith("meeting moved: 26-03-05 09:30 UTC")
    moved = RootCauseMeeting.objects.get()
    assert moved.uid == first.uid and moved.sequence == 1
    assert list(moved.attendees.all()) == [omar]


def test_the_meeting_invite_is_written_to_stdout_or_a_file(cli, ref, responder, omar, tmp_path):
    _schedule(cli, ref)
    meeting = RootCauseMeeting.objects.get()
    run = cli("postmortem", "meeting-ics", ref)
    assert run.code == 0
    calendar = icalendar.Calendar.from_ical(run.out)
    [event] = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST" and event["UID"] == meeting.uid
    assert event.decoded("DTSTART") == meeting.starts_at
    target = tmp_path / "rca.ics"
    run = cli("postmortem", "meeting-ics", ref, "-o", str(target))
    assert run.code == 0 and run.out.strip() == f"written: {target}"
    assert icalendar.Calendar.from_ical(target.read_bytes())["METHOD"] == "REQUEST"


def test_there_is_no_invite_before_the_meeting_is_scheduled(cli, ref):
    _one_line_error(cli("postmortem", "meeting-ics", ref), "no root-cause meeting")


# Feedback -------------------------------------------------------------------------------


def test_feedback_is_the_acting_users_and_giving_it_again_changes_it(cli, ref, responder):
    run = cli("postmortem", "feedback", ref, "--response", "4", "--postmortem", "5",
              "--improve", "Page the database team sooner.", "--as", "rita")  # fmt: skip
    assert run.code == 0 and run.out.strip() == "feedback saved: response 4/5, postmortem 5/5"
    cli("postmortem", "feedback", ref, "--response", "2", "--postmortem", "3", "--as", "rita")
    feedback = Feedback.objects.get()
    assert feedback.user == responder
    assert (feedback.response_rating, feedback.postmortem_rating) == (2, 3)
    assert feedback.improve == ""


# Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["followup", "{ref}", "--title", "T", "--owner", "nobody"], "--owner: no active user"),
        (["followup", "{ref}", "--title", "T", "--owner", "rita", "--due", "2026-13-01"],
         "--due: '2026-13-01' is not a date"),
        (["followup", "{ref}", "--title", "T", "--owner", "rita", "--category", "blame"],
         "--category: unknown value 'blame'"),
        (["followup", "{ref}", "--title", "T", "--owner", "rita", "--ticket", "ftp://x"],
         "--ticket: "),
        (["followup", "{ref}", "--title", " ", "--owner", "rita"], "--title: "),
        (["followup", "{ref}", "--title", "T"], "--owner"),
        (["went-well", "{ref}", "--text", "Good.", "--action", "abc"],
         "--action: must be an action item's number"),
        (["went-well", "{ref}", "--text", "Good.", "--action", "999999"],
         "--action: there is no action item 999999"),
        (["went-well", "{ref}"], "--text"),
        (["meeting", "{ref}", "--at", "next tuesday", "--attendee", "rita"],
         "--at: must be a date and time (YYYY-MM-DD HH:MM)"),
        (["meeting", "{ref}", "--at", "2026-03-04 25:00", "--attendee", "rita"],
         "--at: must be a date and time"),
        (["meeting", "{ref}", "--at", "2026-03-04 14:00", "--attendee", "nobody"],
         "--attendee: no active user 'nobody'"),
        (["meeting", "{ref}", "--at", "2026-03-04 14:00", "--attendee", "rita",
          "--duration", "0"], "--duration: must be 5 to 480 minutes"),
        (["meeting", "{ref}", "--attendee", "rita"], "--at"),
        (["feedback", "{ref}", "--response", "0", "--postmortem", "3"],
         "--response: must be from 1 to 5"),
        (["feedback", "{ref}", "--response", "3", "--postmortem", "9"],
         "--postmortem: must be from 1 to 5"),
        (["feedback", "{ref}", "--response", "good", "--postmortem", "3"],
         "--response: must be a whole number from 1 to 5"),
        (["feedback", "{ref}", "--response", "3"], "--postmortem"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line_naming_the_option(cli, ref, responder, paris, args, flag):
    run = cli("postmortem", *[a.format(ref=ref) for a in args], "--as", "rita")
    _one_line_error(run, flag)
    assert not _followups().exists() and not WentWell.objects.exists()
    assert not RootCauseMeeting.objects.exists() and not Feedback.objects.exists()
    assert not OutboxEvent.objects.filter(topic=MEETING_TOPIC).exists()


@pytest.mark.parametrize(
    "args",
    [
        ["followup", "{ref}", "--title", "T", "--owner", "rita"],
        ["followups", "{ref}"],
        ["went-well", "{ref}", "--text", "Good."],
        ["meeting", "{ref}", "--at", "2026-03-04 14:00", "--attendee", "rita"],
        ["meeting-ics", "{ref}"],
        ["feedback", "{ref}", "--response", "3", "--postmortem", "3"],
    ],
)
def test_an_unknown_incident_or_one_without_a_postmortem_exits_2(cli, resolved, args):
    actor = [] if args[0] in ("followups", "meeting-ics") else ["--as", "rita"]
    unknown = cli("postmortem", *[a.format(ref="INC-1999-0001") for a in args], *actor)
    _one_line_error(unknown, "reference: no incident 'INC-1999-0001'")
    ref = resolved().reference
    not_started = cli("postmortem", *[a.format(ref=ref) for a in args], *actor)
    _one_line_error(not_started, f"reference: {ref} has no postmortem yet")


def test_a_change_needs_someone_acting(cli, ref):
    run = cli("postmortem", "feedback", ref, "--response", "3", "--postmortem", "3")
    _one_line_error(run, "--as: say who is acting")
    assert not Feedback.objects.exists()


def test_a_viewer_who_took_no_part_cannot_give_feedback(cli, ref, viewer):
    run = cli("postmortem", "feedback", ref, "--response", "3", "--postmortem", "3", "--as", "vic")
    _one_line_error(run, "error: ")
    assert not Feedback.objects.exists()
