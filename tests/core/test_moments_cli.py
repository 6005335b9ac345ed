"""The CLI refuses a moment or a day outside 1970-01-01…2999-12-31 with exit 2 and one line
naming the option, and stores nothing; the public site and the pages keep rendering in New York
and Tokyo."""

import pytest

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import ActionItem, Incident, IncidentStatus
from incidentdesk.incidents.services import incident_declare, incident_set_status
from incidentdesk.postmortems.services import postmortem_start
from incidentdesk.statuspage.services import publication_create
from tests.far_moments import (
    assert_site_renders,
    in_each_zone,  # noqa: F401 (a fixture)
)

CLI_MOMENTS = ("0001-01-01T00:00", "9999-12-31T23:00", "0001-01-01T00:00Z", "9999-12-31T20:00Z")
CLI_DAYS = ("0001-01-01", "9999-12-31")
WEB = ActionSource.WEB


@pytest.fixture
def incident(responder, manager):
    """A published incident, so the public site has something of it to show."""
    incident = incident_declare(
        actor=responder, source=WEB, title="Checkout", severity="major", criteria=["security"]
    )
    publication_create(
        actor=manager, source=WEB, incident=incident, name="Checkout", message="Looking."
    )
    return incident


def refused(run, option: str) -> None:
    assert run.code == 2, (run.out, run.err)
    assert run.err.startswith(f"error: {option}: is out of range"), run.err
    assert run.err.count("\n") == 1, run.err


@pytest.mark.usefixtures("in_each_zone")
@pytest.mark.parametrize("far", CLI_MOMENTS)
def test_far_times_are_refused_naming_the_option(cli, manager, incident, far):
    declare = ("declare", "--title", "Old", "--severity", "major", "--criteria", "security")
    refused(cli(*declare, "--started-at", far, "--as", "rita"), "--started-at")
    refused(
        cli("update", incident.reference, "--detected-at", far, "--as", "rita"), "--detected-at"
    )
    assert Incident.objects.get().detected_at == incident.detected_at
    assert_site_renders(manager)


@pytest.mark.usefixtures("in_each_zone")
@pytest.mark.parametrize("far", CLI_DAYS)
def test_far_days_are_refused_naming_the_option(cli, responder, manager, incident, far):
    incident_set_status(
        actor=responder, source=WEB, incident=incident, status="blocked", reason="vendor"
    )
    refused(cli("close", incident.reference, "--resume-on", far, "--as", "manny"), "--resume-on")
    assert Incident.objects.get().status == IncidentStatus.BLOCKED
    resolved = incident_set_status(
        actor=responder, source=WEB, incident=incident, status="resolved"
    )
    postmortem_start(actor=responder, source=WEB, incident=resolved)
    followup = ("--title", "Add an alert", "--owner", "rita", "--due", far, "--as", "rita")
    refused(cli("postmortem", "followup", resolved.reference, *followup), "--due")
    assert not ActionItem.objects.exists()
    refused(cli("review", "--since", far), "since")
    refused(cli("insights", "--since", far), "since")
    assert_site_renders(manager)
