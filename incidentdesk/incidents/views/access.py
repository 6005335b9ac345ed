"""Inviting people into a restricted incident from its page, and withdrawing the invitation."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_POST

from incidentdesk.accounts.services import user_by_handle
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import web_errors
from incidentdesk.incidents.services.access import incident_invite, incident_uninvite
from incidentdesk.incidents.views.detail import load_incident, written


@login_required
@require_POST
@web_errors
def invitation(request, reference: str, withdraw: bool = False):
    """Invite the person named in the form (`withdraw`: take their invitation back)."""
    user = user_by_handle(request.POST.get("person", ""))
    change = incident_uninvite if withdraw else incident_invite
    incident = load_incident(request, reference)
    change(actor=request.user, source=ActionSource.WEB, incident=incident, user=user)
    done = "'s invitation is withdrawn" if withdraw else " is invited"
    return written(request, reference, f"{user.display_name}{done}.", "roles")
