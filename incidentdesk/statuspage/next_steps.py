"""The incident page's next steps of the status page: "Publish on the status page" while an
open incident is not public, and "Post a public update" while its publication has had no update
for longer than the severity's reminder interval. What the public reads is written on purpose
(never the internal title), so both open the status page panel's form (?open=statuspage)
instead of posting words nobody wrote. Registered with incidents/next_steps.py from
StatuspageConfig.ready()."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.incidents import next_steps
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.rules import format_duration
from incidentdesk.statuspage.models import PublicIncident


def _panel_form(incident: Incident) -> str:
    url = reverse("incident_detail", args=[incident.reference])
    return f"{url}?open=statuspage#statuspage"


def offer_statuspage(request, incident: Incident) -> next_steps.Step | None:
    """Publish while it is not public; post an update once the severity's reminder interval
    passed without one."""
    if not incident.is_open or not has_perm(request.user, Perm.STATUSPAGE_PUBLISH):
        return None
    publication = PublicIncident.objects.filter(incident=incident).first()
    if publication is None:
        return next_steps.Step(
            title="Users are not told yet",
            why="Nothing about this incident is public until it is published on the status page.",
            button="Publish on the status page",
            url=_panel_form(incident),
        )
    if publication.is_resolved:
        return None
    interval = timedelta(minutes=incident.severity.reminder_interval_minutes)
    quiet = timezone.now() - publication.last_update_at
    if quiet < interval:
        return None
    return next_steps.Step(
        title="No public update for a while",
        why=f"The last one was {format_duration(quiet)} ago; at {incident.severity.name} "
        f"users expect one every {format_duration(interval)}.",
        button="Post a public update",
        url=_panel_form(incident),
    )


next_steps.register("statuspage", offer_statuspage, order=40)
