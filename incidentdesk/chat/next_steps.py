"""The incident page's next step "Open a chat channel": offered while an open incident has no
conversation on a chat platform this install has set up; it runs the `channel` command through
the page's command box (the same write as typing it). Registered with incidents/next_steps.py
from ChatConfig.ready()."""

from django.urls import reverse

from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.chat import registry as platforms
from incidentdesk.chat.conversations import links_of
from incidentdesk.incidents import next_steps
from incidentdesk.incidents.models import Incident


def offer_channel(request, incident: Incident) -> next_steps.Step | None:
    kinds = platforms.platform_kinds()
    if not kinds or not incident.is_open or not has_perm(request.user, Perm.INCIDENT_UPDATE):
        return None
    if links_of(incident).filter(archived_at__isnull=True).exists():
        return None
    where = " and ".join(kind.capitalize() for kind in kinds)
    return next_steps.Step(
        title="No chat channel yet",
        why=f"Its own channel on {where}, with the people who hold its roles invited.",
        button="Open a chat channel",
        url=reverse("incident_command", args=[incident.reference]),
        fields={"text": "channel"},
    )


next_steps.register("chat_channel", offer_channel, order=30)
