import pytest
from django.urls import reverse

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import (
    ActionItem,
    EntryKind,
    IncidentStatus,
    RoleAssignment,
    TimelineEntry,
)
from incidentdesk.incidents.services import role_assign, timeline_entry_add, timeline_entry_edit

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def incident(declare):
    return declare(title="Checkout is failing", summary="Errors **everywhere**")


def url(name, incident, *args):
    return reverse(name, args=[incident.reference, *args])


def test_incident_page_shows_every_panel(client, responder, incident):
    client.force_login(responder)
    response = client.get(url("incident_detail", incident))
    assert response.status_code == 200
    body = response.content.decode()
    for marker in (
        'id="incident-header"',
        'id="incident-facts"',
        'id="incident-times"',
        'id="roles"',
        'id="timeline"',
        'id="actions"',
        'id="command-input"',
    ):
        assert marker in body
    assert incident.reference in body
    assert "<strong>everywhere</strong>" in body
    assert "Take lead" in body
    assert "Time to detect" in body


def test_unknown_reference_gives_404(client, responder):
    client.force_login(responder)
    response = client.get(reverse("incident_detail", args=["INC-1999-0001"]))
    assert response.status_code == 404
    assert b"INC-1999-0001" in response.content


def test_markdown_in_entries_cannot_inject_script(client, responder, incident):
    timeline_entry_add(
        actor=responder,
        source=ActionSource.WEB,
        incident=incident,
        kind="note",
        body="<script>alert(1)</script> [x](javascript:alert(1))",
    )
    client.force_login(responder)
    body = client.get(url("incident_detail", incident)).content.decode()
    assert "<script>alert(1)" not in body
    assert 'href="javascript:' not in body


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_command_box_note_adds_a_web_note(client, responder, incident, headers):
    client.force_login(responder)
    response = client.post(url("incident_command", incident), {"text": "note hello"}, **headers)
    entry = TimelineEntry.objects.get(incident=incident, kind=EntryKind.NOTE)
    assert (entry.body, entry.source, entry.author) == ("hello", "web", responder)
    if headers:
        assert response.status_code == 200
        body = response.content.decode()
        assert "Note recorded." in body
        assert 'id="timeline" class="timeline-body" hx-swap-oob="true"' in body
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(url("incident_detail", incident))


def test_command_box_shows_help_for_unknown_input(client, responder, incident):
    client.force_login(responder)
    response = client.post(url("incident_command", incident), {"text": "dance"}, **HTMX)
    assert response.status_code == 422
    assert b"Unknown command" in response.content
    assert b"Commands:" in response.content


def test_command_box_shows_the_lead_and_scribe_warning(client, responder, incident):
    client.force_login(responder)
    client.post(url("incident_command", incident), {"text": f"lead {responder.username}"}, **HTMX)
    response = client.post(
        url("incident_command", incident), {"text": f"scribe {responder.username}"}, **HTMX
    )
    assert b"both lead and scribe" in response.content


def test_status_button_moves_the_incident(client, responder, incident):
    client.force_login(responder)
    response = client.post(url("incident_status", incident), {"status": "identified"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED


def test_blocking_without_a_reason_is_refused(client, responder, incident):
    client.force_login(responder)
    response = client.post(url("incident_status", incident), {"status": "blocked"}, **HTMX)
    assert response.status_code == 422
    assert b"Say why work is blocked." in response.content
    assert response["HX-Retarget"] == "#incident-header"  # the form, with the sentence at it
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.INVESTIGATING


def test_resolve_then_close_a_trivial_incident(client, manager, declare):
    incident = declare(severity="trivial")
    client.force_login(manager)
    client.post(url("incident_status", incident), {"status": "resolved"})
    client.post(url("incident_status", incident), {"status": "closed", "reason": "too small"})
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert incident.postmortem_waiver_reason == "too small"
    page = client.get(url("incident_detail", incident)).content.decode()
    assert "Waived: too small" in page


def test_take_lead_makes_me_lead_and_acknowledges(client, responder, incident):
    client.force_login(responder)
    response = client.post(
        url("role_assign", incident), {"role": "lead", "person": responder.username}, **HTMX
    )
    assert response.status_code == 200
    holder = RoleAssignment.objects.get(incident=incident, role="lead", ended_at__isnull=True)
    assert holder.user == responder
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert b"Take lead" not in response.content


def test_releasing_a_role(client, responder, manager, incident):
    role_assign(
        actor=responder, source=ActionSource.WEB, incident=incident, role="scribe", user=manager
    )
    client.force_login(responder)
    client.post(url("role_release", incident), {"role": "scribe", "person": manager.username})
    assert not RoleAssignment.objects.filter(
        incident=incident, role="scribe", ended_at__isnull=True
    ).exists()


def test_timeline_filter_returns_the_matching_entries(client, responder, incident):
    timeline_entry_add(
        actor=responder,
        source=ActionSource.WEB,
        incident=incident,
        kind="decision",
        body="Fail over",
    )
    timeline_entry_add(
        actor=responder, source=ActionSource.WEB, incident=incident, kind="note", body="Just a note"
    )
    client.force_login(responder)
    response = client.get(url("incident_timeline", incident), {"kind": "decision"}, **HTMX)
    body = response.content.decode()
    assert "Fail over" in body
    assert "Just a note" not in body
    assert "<html" not in body


def test_back_dated_entry(client, responder, incident):
    client.force_login(responder)
    client.post(
        url("timeline_add", incident),
        {"kind": "event", "body": "Alarm fired", "occurred_at": "2024-01-10T09:00"},
    )
    entry = TimelineEntry.objects.get(body="Alarm fired")
    assert entry.occurred_at.year == 2024


def test_back_dated_entry_in_the_future_is_refused_on_its_field(client, responder, incident):
    client.force_login(responder)
    response = client.post(
        url("timeline_add", incident),
        {"kind": "event", "body": "Later", "occurred_at": "2999-01-01T00:00"},
    )
    assert response.status_code == 422
    assert b'id="entry_occurred_at_error"' in response.content
    assert not TimelineEntry.objects.filter(body="Later").exists()


def test_editing_an_entry_keeps_the_earlier_text(client, responder, incident):
    entry = timeline_entry_add(
        actor=responder, source=ActionSource.WEB, incident=incident, kind="note", body="first"
    )
    client.force_login(responder)
    client.post(url("timeline_edit", incident, entry.pk), {"body": "second"})
    entry.refresh_from_db()
    assert entry.body == "second"
    assert [r.body for r in entry.revisions.all()] == ["first"]
    body = client.get(url("incident_detail", incident)).content.decode()
    assert "edited (1 earlier version)" in body
    assert "<p>first</p>" in body


def test_pin_and_unpin(client, responder, incident):
    entry = timeline_entry_add(
        actor=responder, source=ActionSource.WEB, incident=incident, kind="note", body="key"
    )
    client.force_login(responder)
    client.post(url("timeline_pin", incident, entry.pk), {"pinned": "1"}, **HTMX)
    entry.refresh_from_db()
    assert entry.pinned
    client.post(url("timeline_pin", incident, entry.pk), {"pinned": "0"})
    entry.refresh_from_db()
    assert not entry.pinned


def test_adding_an_action_item(client, responder, incident):
    client.force_login(responder)
    response = client.post(
        url("action_add", incident),
        {
            "title": "Add an alert",
            "owner": responder.username,
            "due_date": "2030-01-01",
            "priority": "high",
            "category": "detect",
            "phase": "follow_up",
            "external_url": "https://tracker.example.com/9",
        },
    )
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert (item.owner, item.priority, item.category, item.phase) == (
        responder,
        "high",
        "detect",
        "follow_up",
    )


def test_wont_do_without_a_reason_shows_an_error(client, responder, incident):
    client.force_login(responder)
    client.post(
        url("action_add", incident), {"title": "Rewrite it", "priority": "low", "phase": "response"}
    )
    item = ActionItem.objects.get()
    response = client.post(
        url("action_status", incident, item.pk), {"status": "wont_do"}, follow=True
    )
    assert "Say why it won&#x27;t be done" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open"
    client.post(
        url("action_status", incident, item.pk),
        {"status": "wont_do", "wont_do_reason": "not worth it"},
    )
    item.refresh_from_db()
    assert (item.status, item.wont_do_reason) == ("wont_do", "not worth it")


def test_inline_edit_changes_only_the_changed_fields(client, responder, incident):
    client.force_login(responder)
    response = client.post(
        url("incident_edit", incident, "details"),
        {
            "title": "Checkout is failing for EU",
            "severity": "critical",
            "summary": incident.summary,
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.severity.key) == ("Checkout is failing for EU", "critical")
    change = TimelineEntry.objects.get(incident=incident, kind=EntryKind.FIELD_CHANGE)
    assert set(change.data["changes"]) == {"title", "severity"}


def test_inline_edit_of_times_rejects_out_of_order_values(client, responder, incident):
    client.force_login(responder)
    response = client.post(
        url("incident_edit", incident, "times"),
        {
            "started_at": "2024-01-10T10:00",
            "detected_at": "2024-01-10T09:00",
            "declared_at": "2024-01-10T10:00",
        },
    )
    assert response.status_code == 422
    assert b'id="times_detected_at_error"' in response.content
    incident.refresh_from_db()
    assert incident.started_at is None


def test_viewer_sees_the_page_without_write_controls(client, viewer, incident):
    client.force_login(viewer)
    body = client.get(url("incident_detail", incident)).content.decode()
    assert "Checkout is failing" in body
    assert 'id="command-input"' not in body
    assert "Take lead" not in body


def test_viewer_gets_403_on_a_write_and_nothing_changes(client, viewer, incident):
    client.force_login(viewer)
    before = TimelineEntry.objects.count()
    response = client.post(url("incident_command", incident), {"text": "note sneaky"})
    assert response.status_code == 403
    assert b"may not do this" in response.content
    response = client.post(url("incident_status", incident), {"status": "resolved"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.INVESTIGATING
    assert TimelineEntry.objects.count() == before


def test_incident_page_queries_do_not_grow_with_entries(
    client, responder, manager, incident, django_assert_max_num_queries
):
    for n in range(15):
        entry = timeline_entry_add(
            actor=responder, source=ActionSource.WEB, incident=incident, kind="note", body=f"n{n}"
        )
        timeline_entry_edit(actor=responder, source=ActionSource.WEB, entry=entry, body=f"m{n}")
    role_assign(
        actor=responder, source=ActionSource.WEB, incident=incident, role="lead", user=manager
    )
    client.force_login(responder)
    # The status page panel adds a fixed number (publication, its updates and components),
    # the chat panel one (the incident's conversations: it has none), the paging panel two
    # (the incident's pages, the default escalation policy), the disaster panel one (whether
    # the incident is a disaster), the next steps three (whether it was paged, the default
    # escalation policy, its publication), the status page panel's page settings one, the
    # live version (read before the page's data) one.
    with django_assert_max_num_queries(29):
        response = client.get(url("incident_detail", incident))
    assert response.status_code == 200
