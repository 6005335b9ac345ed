"""Higher domains take part in an incident's writes through incidents/hooks.py: each hook runs
inside the write's transaction, and its error reaches the caller and undoes the write."""

import pytest

from incidentdesk.core.errors import InvalidTransition
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import hooks
from incidentdesk.incidents.models import Incident, TimelineEntry
from incidentdesk.incidents.services import component_save, incident_close, incident_resolve
from incidentdesk.postmortems.incident_hooks import check_postmortem_for_close
from incidentdesk.statuspage.incident_hooks import resolve_open_publication
from incidentdesk.statuspage.public_site import refresh_after_commit

WEB = ActionSource.WEB


@pytest.fixture
def registered():
    """Register functions on a hook for one test only."""
    added = []

    def register(hook, function):
        hook.register(function)
        added.append((hook, function))

    yield register
    for hook, function in added:
        hook.unregister(function)


def test_a_close_a_hook_refuses_leaves_the_incident_resolved(declare, manager, registered):
    def refuse(incident, reason):
        raise InvalidTransition("the vendor report is missing", field="status")

    registered(hooks.before_close, refuse)
    incident = incident_resolve(actor=manager, source=WEB, incident=declare(severity="trivial"))
    entries = TimelineEntry.objects.count()
    with pytest.raises(InvalidTransition, match="the vendor report is missing"):
        incident_close(actor=manager, source=WEB, incident=incident, reason="done")
    assert Incident.objects.get(pk=incident.pk).status == "resolved"
    assert TimelineEntry.objects.count() == entries


def test_a_failing_resolve_hook_undoes_the_resolution(declare, responder, registered):
    def fail(**kwargs):
        raise RuntimeError("the chat platform is down")

    registered(hooks.after_resolve, fail)
    incident = declare()
    entries = TimelineEntry.objects.count()
    with pytest.raises(RuntimeError, match="the chat platform is down"):
        incident_resolve(actor=responder, source=WEB, incident=incident, message="fixed")
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.status, stored.resolved_at) == ("investigating", None)
    assert TimelineEntry.objects.count() == entries


@pytest.mark.parametrize("publicly", [True, False])
def test_resolve_hooks_hear_the_message_and_whether_it_is_public(
    declare, responder, registered, publicly
):
    heard = []

    def listen(*, actor, source, incident, message, publicly):
        heard.append((actor, source, incident.status, message, publicly))

    registered(hooks.after_resolve, listen)
    incident_resolve(
        actor=responder, source=WEB, incident=declare(), message="fixed", resolve_publicly=publicly
    )
    assert heard == [(responder, WEB, "resolved", "fixed", publicly)]


def test_a_component_change_calls_the_catalog_hooks(admin, registered):
    heard = []
    registered(hooks.after_catalog_change, lambda: heard.append("changed"))
    component_save(actor=admin, source=WEB, name="Search")
    assert heard == ["changed"]


def test_the_status_page_and_the_postmortems_register_their_hooks():
    assert check_postmortem_for_close in hooks.before_close
    assert resolve_open_publication in hooks.after_resolve
    assert refresh_after_commit in hooks.after_catalog_change


def test_registering_a_function_twice_calls_it_once(registered):
    def noop():
        pass

    registered(hooks.after_catalog_change, noop)
    hooks.after_catalog_change.register(noop)
    assert list(hooks.after_catalog_change).count(noop) == 1
