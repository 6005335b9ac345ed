"""The incident page's next steps after resolving: "Start the postmortem" (posts to the
postmortem's own start, which drafts it from the blameless template) and, once it is started,
"Schedule the root-cause meeting" (opens the postmortem page's meeting form: its time and
attendees are chosen there). Registered with incidents/next_steps.py from
PostmortemsConfig.ready()."""

from django.urls import reverse

from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.incidents import next_steps
from incidentdesk.incidents.models import Incident, IncidentStatus
from incidentdesk.postmortems.models import Postmortem, PostmortemStatus, RootCauseMeeting

AFTER_RESOLVING = (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)


def _applies(request, incident: Incident) -> bool:
    return incident.status in AFTER_RESOLVING and has_perm(request.user, Perm.POSTMORTEM_EDIT)


def offer_start(request, incident: Incident) -> next_steps.Step | None:
    if not _applies(request, incident) or Postmortem.objects.filter(incident=incident).exists():
        return None
    required = incident.severity.postmortem_required
    return next_steps.Step(
        title="No postmortem yet",
        why=(
            f"{incident.severity.name} needs one before the incident can be closed."
            if required
            else "What happened, why, and what will change: blameless."
        ),
        button="Start the postmortem",
        url=reverse("postmortem_start", args=[incident.reference]),
        fields={"template": "blameless"},
    )


def offer_meeting(request, incident: Incident) -> next_steps.Step | None:
    if not _applies(request, incident):
        return None
    postmortem = Postmortem.objects.filter(incident=incident).first()
    if postmortem is None or postmortem.status == PostmortemStatus.PUBLISHED:
        return None
    if RootCauseMeeting.objects.filter(postmortem=postmortem).exists():
        return None
    page = reverse("postmortem_page", args=[incident.reference])
    return next_steps.Step(
        title="The root-cause meeting is not scheduled",
        why="The people who took part go through the timeline and the causes together.",
        button="Schedule the root-cause meeting",
        url=f"{page}?open=meeting#meeting",
    )


next_steps.register("postmortem_start", offer_start, order=60)
next_steps.register("root_cause_meeting", offer_meeting, order=65)
