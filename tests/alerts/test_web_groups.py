"""Alert groups on the web (/alerts/): open groups first with filters, a group's page (its
alerts with their counts, labels, times and source links, the route that acted and the
incident), and responders acknowledging and resolving a group by hand."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidentdesk.alerts.models import AlertGroup, GroupStatus
from incidentdesk.alerts.routes import route_create
from incidentdesk.alerts.services import (
    alerts_receive,
    group_acknowledge,
    group_resolve,
    integration_create,
)
from incidentdesk.alerts.sources.base import AlertInput
from incidentdesk.core.errors import NotFound, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind
from incidentdesk.incidents.services.incidents import incident_declare
from tests.alerts import test_routes

pytestmark = pytest.mark.django_db
# The routing tests' integration and intake (its after-commit routing run), and their clock.
integration = test_routes.integration
receive = test_routes.receive
NOW = test_routes.NOW
CLI = ActionSource.CLI
WEB = ActionSource.WEB


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def alert(key="fp1", group="g1", status="firing", **fields):
    return AlertInput(
        key=key,
        group_key=group,
        status=status,
        summary=fields.pop("summary", f"Disk full on {key}"),
        labels=fields.pop("labels", {"alertname": "DiskFull", "instance": key}),
        **fields,
    )


def test_the_list_shows_open_groups_first_then_the_newest_and_filters(
    admin, viewer, integration, receive
):
    other, _ = integration_create(actor=admin, source=CLI, kind="generic", name="cron")
    receive(alert("old", "old", summary="Old trouble"), at=NOW - timedelta(hours=2))
    receive(alert("done", "done", summary="Done trouble"), at=NOW - timedelta(minutes=5))
    receive(alert("done", "done", status="resolved", summary="Done trouble"))
    receive(alert("new", "new", summary="New trouble"), at=NOW - timedelta(minutes=1))
    alerts_receive(integration=other, alerts=[alert("c", "c", summary="Cron trouble")])
    client = client_for(viewer)
    page = client.get("/alerts/").content.decode()
    assert page.index("Cron trouble") < page.index("New trouble") < page.index("Old trouble")
    assert "Done trouble" not in page  # open ones by default
    every = client.get("/alerts/?status=any").content.decode()
    assert every.index("Old trouble") < every.index("Done trouble")  # resolved after open
    resolved = client.get("/alerts/?status=resolved").content.decode()
    assert "Done trouble" in resolved and "New trouble" not in resolved
    only = client.get(f"/alerts/?status=any&integration={other.pk}").content.decode()
    assert "Cron trouble" in only and "Old trouble" not in only
    assert client.get("/alerts/?status=nonsense&integration=x").status_code == 200


def test_a_groups_page_shows_its_alerts_counts_labels_times_and_only_http_links(
    admin, viewer, receive
):
    link = "https://prom.example.com/graph?g0.expr=up"
    receive(
        alert("fp1", source_url=link, starts_at=NOW),
        alert("fp2", source_url="javascript:alert(1)"),
    )
    receive(alert("fp1", source_url=link, starts_at=NOW), at=NOW + timedelta(minutes=3))
    group = AlertGroup.objects.get()
    html = client_for(viewer).get(f"/alerts/groups/{group.pk}").content.decode()
    assert "Disk full on fp1" in html and "Disk full on fp2" in html
    assert "2 times" in html and "1 time<" in html
    assert "instance=fp1" in html and "alertname=DiskFull" in html
    assert 'href="https://prom.example.com/graph?g0.expr=up"' in html
    assert 'href="javascript' not in html
    assert (NOW + timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S") in html
    assert "the group is recorded" in html and "No route matches it now." in html
    route = route_create(actor=admin, source=CLI, name="quiet", action="record")
    html = client_for(viewer).get(f"/alerts/groups/{group.pk}").content.decode()
    assert f'matches it now: <a href="/alerts/routes/{route.pk}">quiet</a> (only record)' in html


def test_a_groups_page_names_the_route_that_declared_its_incident(admin, viewer, receive):
    route = route_create(actor=admin, source=CLI, name="disks", action="declare", severity="major")
    receive(alert("fp1"))
    group = AlertGroup.objects.get()
    html = client_for(viewer).get(f"/alerts/groups/{group.pk}").content.decode()
    assert f'href="/alerts/routes/{route.pk}">disks</a>' in html
    assert "declared" in html and group.incident.reference in html


def link_to_a_restricted_incident(group: AlertGroup, admin) -> None:
    """Link the group to a restricted incident titled "Tokens leaked" (as a route would)."""
    group.incident = incident_declare(
        actor=admin,
        source=CLI,
        title="Tokens leaked",
        severity="major",
        criteria=["security"],
        restricted=True,
    )
    group.save()


def test_a_group_of_a_restricted_incident_is_hidden_from_those_who_cannot_see_it(
    admin, responder, receive
):
    receive(alert("fp1", summary="Tokens leaked"))
    group = AlertGroup.objects.get()
    link_to_a_restricted_incident(group, admin)
    outsider = client_for(responder)
    assert "Tokens leaked" not in outsider.get("/alerts/").content.decode()
    assert outsider.get(f"/alerts/groups/{group.pk}").status_code == 404
    assert outsider.post(f"/alerts/groups/{group.pk}/acknowledge").status_code == 404
    assert "Tokens leaked" in client_for(admin).get("/alerts/").content.decode()
    assert client_for(admin).get(f"/alerts/groups/{group.pk}").status_code == 200


def test_responders_acknowledge_and_resolve_a_group_by_hand(admin, responder, receive):
    route_create(actor=admin, source=CLI, action="declare", severity="major")
    receive(alert("fp1"), alert("fp2"))
    group = AlertGroup.objects.get()
    client = client_for(responder)
    assert client.post(f"/alerts/groups/{group.pk}/acknowledge").status_code == 302
    group.refresh_from_db()
    assert group.status == GroupStatus.ACKNOWLEDGED
    assert "The group is acknowledged." in client.get(f"/alerts/groups/{group.pk}").content.decode()

    assert client.post(f"/alerts/groups/{group.pk}/resolve").status_code == 302
    group.refresh_from_db()
    assert group.status == GroupStatus.RESOLVED and group.resolved_at is not None
    assert set(group.alerts.values_list("status", flat=True)) == {GroupStatus.RESOLVED}
    entries = group.incident.timeline.filter(kind=EntryKind.ALERT, author=responder)
    assert [e.data["event"] for e in entries] == ["group_acknowledged", "group_resolved"]
    assert entries[0].source == WEB
    assert group.incident.status != "resolved"  # the response decides that


def test_an_alert_firing_again_after_a_resolve_by_hand_re_opens_the_group(responder, receive):
    receive(alert("fp1"))
    group = AlertGroup.objects.get()
    group_resolve(actor=responder, source=WEB, group_id=group.pk)
    receive(alert("fp1"), at=timezone.now() + timedelta(seconds=30))
    group.refresh_from_db()
    assert group.status == GroupStatus.FIRING and AlertGroup.objects.count() == 1
    # The same alert the sender sent before the resolve by hand: it is firing again.
    assert group.alerts.get().status == GroupStatus.FIRING


def test_acknowledging_twice_is_harmless_and_a_resolved_group_is_refused(responder, receive):
    receive(alert("fp1"))
    group = AlertGroup.objects.get()
    group_acknowledge(actor=responder, source=WEB, group_id=group.pk)
    assert group_acknowledge(actor=responder, source=WEB, group_id=group.pk).status == (
        GroupStatus.ACKNOWLEDGED
    )
    group_resolve(actor=responder, source=WEB, group_id=group.pk)
    assert group_resolve(actor=responder, source=WEB, group_id=group.pk).status == (
        GroupStatus.RESOLVED
    )
    with pytest.raises(ValidationError) as refused:
        group_acknowledge(actor=responder, source=WEB, group_id=group.pk)
    assert refused.value.field == "group"
    with pytest.raises(NotFound):
        group_resolve(actor=responder, source=WEB, group_id=group.pk + 99)


def test_viewers_see_groups_but_may_not_acknowledge_or_resolve(viewer, receive):
    receive(alert("fp1"))
    group = AlertGroup.objects.get()
    client = client_for(viewer)
    page = client.get(f"/alerts/groups/{group.pk}").content.decode()
    assert "Acknowledge</button>" not in page and "Resolve…" not in page
    assert client.post(f"/alerts/groups/{group.pk}/acknowledge").status_code == 403
    assert client.post(f"/alerts/groups/{group.pk}/resolve").status_code == 403
    with pytest.raises(PermissionDenied):
        group_resolve(actor=viewer, source=WEB, group_id=group.pk)
    group.refresh_from_db()
    assert group.status == GroupStatus.FIRING


def test_signed_out_people_are_sent_to_sign_in(client, receive):
    receive(alert("fp1"))
    group = AlertGroup.objects.get()
    for path in ("/alerts/", f"/alerts/groups/{group.pk}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_filtering_with_htmx_answers_only_the_results(viewer, receive):
    receive(alert("fp1"))
    response = client_for(viewer).get("/alerts/?status=any", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"') and "Disk full on fp1" in html
    assert "<html" not in html
