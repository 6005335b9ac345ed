"""The incident page's next step "Page the on-call lead": offered while an open incident has
no page yet and a default escalation policy exists; it posts to the paging panel's own write
(incident_page_lead). Registered with incidents/next_steps.py from OncallConfig.ready()."""

from django.urls import reverse

from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.incidents import next_steps
from incidentdesk.incidents.models import Incident
from incidentdesk.oncall.models import Page
from incidentdesk.oncall.policies import default_policy


def offer_page_lead(request, incident: Incident) -> next_steps.Step | None:
    if not incident.is_open or not has_perm(request.user, Perm.INCIDENT_DECLARE):
        return None
    if Page.objects.filter(incident=incident).exists():
        return None
    policy = default_policy()
    if policy is None:
        return None
    return next_steps.Step(
        title="Nobody has been paged",
        why=f"Paging follows the escalation policy {policy.name}.",
        button="Page the on-call lead",
        url=reverse("incident_page_lead", args=[incident.reference]),
        fields={},
    )


next_steps.register("page_lead", offer_page_lead, order=20)
