"""A CLI error names the option the person typed, not the service's field behind it: closing a
blocked incident without --resume-on said `blocked_until: …`, which is no option of `close`."""

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident, IncidentStatus
from incidentdesk.incidents.services import incident_declare, incident_set_status

WEB = ActionSource.WEB


def blocked(responder) -> Incident:
    incident = incident_declare(
        actor=responder, source=WEB, title="Checkout", severity="major", criteria=["security"]
    )
    return incident_set_status(
        actor=responder, source=WEB, incident=incident, status="blocked", reason="vendor"
    )


def test_closing_a_blocked_incident_without_a_resume_date_names_the_option(cli, responder, manager):
    incident = blocked(responder)
    run = cli("close", incident.reference, "--as", "manny")
    assert run.code == 2
    assert run.err == (
        "error: --resume-on: give the date work resumes: the lead is reminded on that day\n"
    )
    assert Incident.objects.get().status == IncidentStatus.BLOCKED


def test_a_past_resume_date_names_the_option(cli, responder, manager):
    incident = blocked(responder)
    run = cli("close", incident.reference, "--resume-on", "2020-01-01", "--as", "manny")
    assert (run.code, run.err) == (2, "error: --resume-on: must be today or later\n")
    assert Incident.objects.get().status == IncidentStatus.BLOCKED
