"""The incident page's "Paging" panel: this incident's pages (status, who acknowledged, what
the last step did) and the "Page the on-call lead" button. Registered with incidents/panels.py
by triggers.register() from OncallConfig.ready()."""

from incidentdesk.incidents import panels
from incidentdesk.incidents.models import Incident, IncidentStatus
from incidentdesk.oncall import page_selectors
from incidentdesk.oncall.models import PageNotice, PageStatus
from incidentdesk.oncall.policies import default_policy

WAITING = (PageStatus.OPEN, PageStatus.EXHAUSTED)


def paging_panel(request, incident: Incident) -> dict:
    pages = list(page_selectors.pages(incident=incident))
    policy = default_policy()
    return {
        "paging": {
            "pages": pages,
            "waiting": any(page.status in WAITING for page in pages),
            # The pages that notified the reader: they may acknowledge those whatever their role.
            "mine": set(
                PageNotice.objects.filter(page__in=pages, user_id=request.user.pk).values_list(
                    "page_id", flat=True
                )
            ),
            "default_policy": policy,
            "open": incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
            # Its severity pages, nobody was paged, and nothing could be: say so.
            "unpaged": incident.severity.pages and not pages and policy is None,
        }
    }


panels.register(
    "paging",
    template="oncall/_incident_paging.html",
    context=paging_panel,
    order=25,  # after the roles, before the actions
    column=panels.SIDE,
)
