"""Live pages: every write, from every door, moves the version of the incident it touches, and
the polls of the incident page, the dashboard and the list answer 204 while nothing changed,
else the changed parts (incidents/live.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import live, services
from incidentdesk.incidents.models import ActionItem, LiveVersion, TimelineEntry, TimelineRevision
from incidentdesk.incidents.services.access import incident_invite

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def version(incident) -> int:
    return live.incident_version(incident.pk)


def poll(client, incident, v, **params):
    return client.get(
        reverse("incident_live", args=[incident.reference]), {"v": v, **params}, **HTMX
    )


def listing(client, view, v, **params):
    return client.get(reverse("listing_live", args=[view]), {"v": v, **params}, **HTMX)


# Every door moves the version ------------------------------------------------------------------


def test_declaring_gives_the_incident_a_version(incident):
    assert version(incident) > 0


def test_a_note_through_the_api_moves_the_version_as_a_new_entry_only(rita, incident):
    before = version(incident)
    response = rita.call(
        "POST", f"/incidents/{incident.reference}/timeline", {"kind": "note", "body": "hi"}
    )
    assert response.status_code == 201
    assert version(incident) > before
    assert LiveVersion.objects.get(incident_id=incident.pk).whole_version <= before


def test_a_command_through_the_cli_moves_the_version(cli, responder, incident):
    before = version(incident)
    run = cli("say", incident.reference, "note", "from", "the", "shell", "--as", responder.username)
    assert run.code == 0, run.err
    assert version(incident) > before


def test_a_chat_command_of_the_command_language_moves_the_version(responder, incident):
    before = version(incident)
    services.command_run(
        actor=responder, source=ActionSource.CHAT, incident=incident, text="sev critical"
    )
    assert version(incident) > before


def test_pinning_an_entry_which_records_no_entry_moves_the_version(responder, incident):
    entry = TimelineEntry.objects.filter(incident=incident).first()
    entries, before = TimelineEntry.objects.count(), version(incident)
    services.timeline_entry_pin(actor=responder, source=ActionSource.API, entry=entry, pinned=True)
    assert TimelineEntry.objects.count() == entries
    assert version(incident) > before


def test_changing_an_action_item_moves_the_version(responder, incident):
    item = services.action_item_create(
        actor=responder, source=ActionSource.WEB, incident=incident, title="Add an alert"
    )
    before = version(incident)
    ActionItem.objects.filter(pk=item.pk).first().save()  # any door that saves the row
    assert version(incident) > before


def test_a_row_that_points_to_an_incident_through_another_row_moves_its_version(
    responder, incident
):
    entry = services.timeline_entry_add(
        actor=responder, source=ActionSource.WEB, incident=incident, kind="note", body="First"
    )
    services.timeline_entry_edit(actor=responder, source=ActionSource.WEB, entry=entry, body="Then")
    revision = TimelineRevision.objects.get(entry=entry)  # its entry not loaded: one query
    before = version(incident)
    revision.save()
    assert version(incident) > before
    assert live.incident_of(revision) == incident.pk


def test_a_refused_write_leaves_the_version(responder, incident):
    before = version(incident)
    with pytest.raises(ValidationError):
        services.timeline_entry_add(
            actor=responder, source=ActionSource.WEB, incident=incident, kind="note", body=""
        )
    assert version(incident) == before


def test_a_change_to_another_incident_leaves_this_ones_version(declare, responder, incident):
    other = declare(title="Search is slow")
    before = version(incident)
    services.timeline_entry_add(
        actor=responder, source=ActionSource.WEB, incident=other, kind="note", body="elsewhere"
    )
    assert version(incident) == before


# The incident page's poll ----------------------------------------------------------------------


def test_the_poll_answers_204_while_nothing_changed_in_three_queries(
    client, responder, incident, django_assert_max_num_queries
):
    client.force_login(responder)
    seen = version(incident)
    poll(client, incident, seen)  # the process's first request also asks whether anyone exists
    with django_assert_max_num_queries(3):  # the session, the user, the version
        response = poll(client, incident, seen)
    assert response.status_code == 204
    assert response.content == b""


def test_an_unrelated_incidents_note_leaves_the_poll_at_204(client, declare, responder, incident):
    other = declare(title="Search is slow")
    client.force_login(responder)
    seen = version(incident)
    services.timeline_entry_add(
        actor=responder, source=ActionSource.API, incident=other, kind="note", body="elsewhere"
    )
    assert poll(client, incident, seen).status_code == 204


def test_after_a_note_the_poll_answers_every_panel_out_of_band(client, responder, incident):
    client.force_login(responder)
    seen = version(incident)
    services.timeline_entry_add(
        actor=responder, source=ActionSource.API, incident=incident, kind="note", body="Rolled back"
    )
    response = poll(client, incident, seen)
    assert response.status_code == 200
    assert int(response[live.VERSION_HEADER]) == version(incident) > seen
    body = response.content.decode()
    assert "Rolled back" in body
    # the incidents' own panels and those other domains register, each swapped by its id
    for panel in (
        'id="incident-header"',
        'id="timeline"',
        'id="roles"',
        'id="postmortem"',
        'id="statuspage"',
        'id="live-clock"',
    ):
        start = body.index(panel)
        tag = body[body.rindex("<", 0, start) : body.index(">", start)]
        assert 'hx-swap-oob="true"' in tag, panel
    assert "toast" not in body  # a poll says nothing, it only refreshes


def newest_id(incident) -> str:
    return str(
        TimelineEntry.objects.filter(incident=incident).order_by("-occurred_at", "-id")[0].pk
    )


def test_when_only_notes_were_written_the_poll_answers_only_them(
    client, responder, incident, django_assert_max_num_queries
):
    client.force_login(responder)
    seen, after = version(incident), newest_id(incident)
    for body in ("Rolled back", "Cache flushed"):
        services.timeline_entry_add(
            actor=responder, source=ActionSource.API, incident=incident, kind="note", body=body
        )
    poll(client, incident, seen, after=after)  # the first request of the process asks more
    with django_assert_max_num_queries(8):
        response = poll(client, incident, seen, after=after)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<ol class="timeline" hx-swap-oob="afterbegin:#timeline ol.timeline">')
    assert body.index("Cache flushed") < body.index("Rolled back")  # newest first
    assert 'id="incident-header"' not in body and f'id="entry-{after}"' not in body
    assert int(response[live.VERSION_HEADER]) == version(incident)


@pytest.mark.parametrize(
    "change",
    ["status", "command", "back-dated", "filtered", "pin"],
)
def test_any_other_change_answers_every_panel(client, responder, incident, change):
    client.force_login(responder)
    seen, after = version(incident), newest_id(incident)
    params = {}
    if change == "status":
        services.incident_set_status(
            actor=responder, source=ActionSource.API, incident=incident, status="identified"
        )
    elif change == "command":  # an entry and a change of the incident, in one transaction
        services.command_run(
            actor=responder, source=ActionSource.CHAT, incident=incident, text="sev critical"
        )
    elif change == "back-dated":
        services.timeline_entry_add(
            actor=responder,
            source=ActionSource.WEB,
            incident=incident,
            kind="event",
            body="Started earlier",
            occurred_at=timezone.now() - timedelta(hours=1),
        )
    elif change == "filtered":
        params["kind"] = "note"
        services.timeline_entry_add(
            actor=responder, source=ActionSource.WEB, incident=incident, kind="note", body="x"
        )
    else:
        entry = TimelineEntry.objects.get(pk=after)
        services.timeline_entry_pin(
            actor=responder, source=ActionSource.WEB, entry=entry, pinned=True
        )
    response = poll(client, incident, seen, after=after, **params)
    assert response.status_code == 200
    assert 'id="incident-header"' in response.content.decode()


def test_the_page_reads_its_version_before_its_data_so_its_first_poll_is_empty(
    client, responder, incident
):
    """A freshly drawn page shows the version read before its data: its first poll answers
    204 (200 open pages cost no panel drawing), and a change made after that read is still
    fetched by it."""
    client.force_login(responder)
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    shown = live.incident_version(incident.pk)
    assert f'data-live-version="{shown}"' in page
    assert poll(client, incident, shown).status_code == 204
    services.timeline_entry_add(
        actor=responder, source=ActionSource.WEB, incident=incident, kind="note", body="later"
    )
    assert poll(client, incident, shown).status_code == 200


def test_a_page_without_a_version_gets_everything_on_its_first_poll(client, responder, incident):
    client.force_login(responder)
    assert poll(client, incident, "").status_code == 200


def test_a_restricted_incident_answers_its_poll_only_to_those_who_may_see_it(
    client, declare, make_user, admin, responder
):
    secret = declare(title="Leaked keys", security=True)
    outsider = make_user()
    client.force_login(outsider)
    gone = poll(client, secret, 0)
    assert gone.status_code == 404
    assert "Leaked keys" not in gone.content.decode()
    assert "no longer updates" in gone.content.decode()
    incident_invite(actor=admin, source=ActionSource.WEB, incident=secret, user=outsider)
    assert poll(client, secret, 0).status_code == 200


def test_a_signed_out_poll_answers_401_without_the_page(client, incident):
    response = poll(client, incident, 0)
    assert response.status_code == 401
    assert incident.title not in response.content.decode()


def test_a_write_from_the_page_swaps_other_domains_panels_too(client, responder, incident):
    client.force_login(responder)
    response = client.post(
        reverse("incident_status", args=[incident.reference]), {"status": "identified"}, **HTMX
    )
    body = response.content.decode()
    assert "toast" in body
    start = body.index('id="postmortem"')
    assert 'hx-swap-oob="true"' in body[body.rindex("<", 0, start) : start]


# The dashboard and the list --------------------------------------------------------------------


def test_the_listing_version_moves_when_an_incident_is_declared_or_changes(
    declare, responder, incident
):
    before = live.listing_version(responder)
    other = declare(title="Search is slow")
    declared = live.listing_version(responder)
    assert declared > before
    services.timeline_entry_add(
        actor=responder, source=ActionSource.WEB, incident=other, kind="note", body="x"
    )
    assert live.listing_version(responder) > declared


def test_a_restricted_incident_moves_only_the_listing_of_those_who_may_see_it(
    declare, make_user, admin, responder
):
    secret = declare(title="Leaked keys", security=True, actor=admin)
    outsider = make_user()
    theirs, admins = live.listing_version(outsider), live.listing_version(admin)
    services.timeline_entry_add(
        actor=admin, source=ActionSource.WEB, incident=secret, kind="note", body="x"
    )
    assert live.listing_version(outsider) == theirs
    assert live.listing_version(admin) > admins


def test_the_list_poll_answers_204_then_its_results_with_the_filters(
    client, declare, responder, incident, django_assert_max_num_queries
):
    client.force_login(responder)
    seen = live.listing_version(responder)
    listing(
        client, "incidents", seen
    )  # the process's first request also asks whether anyone exists
    with django_assert_max_num_queries(3):
        assert listing(client, "incidents", seen).status_code == 204
    declare(title="Search is slow")
    response = listing(client, "incidents", seen, q="search")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="results"' in body
    assert "Search is slow" in body and incident.title not in body  # the filter is kept
    assert int(response[live.VERSION_HEADER]) == live.listing_version(responder)


def test_the_dashboard_poll_answers_its_main_region_with_its_new_version(
    client, declare, responder
):
    client.force_login(responder)
    seen = live.listing_version(responder)
    declare(title="Search is slow")
    response = listing(client, "dashboard", seen)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="main"' in body and "Search is slow" in body
    assert f'data-live-version="{live.listing_version(responder)}"' in body


def test_an_unknown_listing_is_404(client, responder):
    client.force_login(responder)
    assert listing(client, "everything", 0).status_code == 404


# Moments as read -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (5, "just now"),
        (60, "1 minute ago"),
        (12 * 60 + 59, "12 minutes ago"),
        (60 * 60, "1 hour ago"),
        (23 * 3600 + 3599, "23 hours ago"),
        (2 * 86400 + 5, "2 days ago"),
    ],
)
def test_ago_writes_one_unit(seconds, words):
    now = timezone.now()
    assert live.ago(now - timedelta(seconds=seconds), now) == words


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(0, "0 min"), (12, "12 min"), (72, "1 h 12 min"), (60 * 24 + 180, "1 d 3 h")],
)
def test_clock_writes_hours_and_minutes(minutes, words):
    start = timezone.now()
    assert live.clock(start, start + timedelta(minutes=minutes, seconds=30)) == words


def test_the_incident_page_shows_its_clock_as_time_elements(client, responder, declare):
    incident = declare(title="Checkout is failing")
    client.force_login(responder)
    body = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert 'data-live="ago"' in body and 'data-live="clock"' in body
    assert "open for" in body and "Declared" in body


def test_the_dashboard_says_when_each_open_incident_was_declared_in_a_ticking_time(
    client, responder, incident
):
    client.force_login(responder)
    body = client.get(reverse("dashboard")).content.decode()
    declared = incident.declared_at.isoformat()
    assert f'<time datetime="{declared}" data-live="ago"' in body
