"""The public version of a postmortem reaches the status page; the internal sections never do."""

import pytest

from incidentdesk.core.sources import ActionSource
from incidentdesk.postmortems import services
from incidentdesk.statuspage import services as statuspage
from incidentdesk.statuspage.models import PublicDocument, PublicIncident
from incidentdesk.statuspage.public_site import refresh

WEB = ActionSource.WEB
CANARY = "canary-7f3d-internal"


def _publish(postmortem, responder, manager):
    services.postmortem_edit(
        actor=responder,
        source=WEB,
        postmortem=postmortem,
        taxonomy="MISSING_TEST",
        sections={"summary": f"Internal summary {CANARY}"},
        public_impact="Card payments failed for 40 minutes.",
        public_cause="A configuration change reached production untested.",
    )
    services.postmortem_review(
        actor=responder, source=WEB, postmortem=postmortem, status="in_review", reviewers=["manny"]
    )
    return services.postmortem_review(
        actor=manager, source=WEB, postmortem=postmortem, status="published"
    )


@pytest.mark.django_db(transaction=True)
def test_publishing_the_postmortem_shows_its_public_version_on_the_status_page(
    resolved, responder, manager
):
    incident = resolved(title=f"internal title {CANARY}")
    publication = statuspage.publication_create(
        actor=responder,
        source=WEB,
        incident=incident,
        name="Card payments failing",
        message="On it.",
    )
    statuspage.publication_resolve(
        actor=responder, source=WEB, public_incident=publication, message="Fixed."
    )
    postmortem = services.postmortem_start(actor=responder, source=WEB, incident=incident)
    _publish(postmortem, responder, manager)

    publication = PublicIncident.objects.get(pk=publication.pk)
    assert publication.status == "postmortem"
    assert "## Impact\n\nCard payments failed for 40 minutes." in publication.postmortem_body
    assert (
        "## Cause" in publication.postmortem_body
        and "## Solution" not in publication.postmortem_body
    )
    refresh()
    bodies = [bytes(d.body).decode() for d in PublicDocument.objects.all()]
    incidents_json = next(
        bytes(d.body).decode() for d in PublicDocument.objects.filter(path="/api/v2/incidents.json")
    )
    assert "Card payments failed for 40 minutes." in incidents_json
    assert not any(CANARY in body for body in bodies)


def test_an_unpublished_incident_gets_no_public_postmortem(started, responder, manager):
    postmortem = _publish(started(), responder, manager)
    assert postmortem.status == "published"
    assert not PublicIncident.objects.exists()
