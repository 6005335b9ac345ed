"""`{% improvement_panel %}`: the postmortem page's follow-ups, wins, meeting and feedback."""

from django import template

from incidentdesk.incidents.models import ActionCategory, ActionPriority
from incidentdesk.postmortems.feedback import feedback_of
from incidentdesk.postmortems.followups import followups_of
from incidentdesk.postmortems.models import RootCauseMeeting

register = template.Library()


@register.inclusion_tag("postmortems/_improvement.html", takes_context=True)
def improvement_panel(context):
    postmortem = context["postmortem"]
    user = context["user"]
    meeting = RootCauseMeeting.objects.filter(postmortem=postmortem).first()
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "user": user,
        "incident": postmortem.incident,
        "postmortem": postmortem,
        "followups": followups_of(postmortem),
        "went_well": postmortem.went_well.select_related("action_item__incident"),
        "meeting": meeting,
        "attendees": list(meeting.attendees.all()) if meeting else [],
        "my_feedback": feedback_of(postmortem, user),
        "categories": ActionCategory.choices,
        "priorities": ActionPriority.choices,
        "ratings": range(1, 6),
    }
