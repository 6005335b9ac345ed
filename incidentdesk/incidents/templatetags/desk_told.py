"""{% desk_told incident desk as seats %}: the incident's desk, each member with whether they
were told (incidents/desk_told.py); {% mail_configured as mail %}: whether mail can be sent."""

from django import template

from incidentdesk.incidents import desk_told as told
from incidentdesk.notifications.channels.email import mail_configured as configured

register = template.Library()


@register.simple_tag
def desk_told(incident, desk):
    return told.desk_told(incident, desk)


@register.simple_tag
def mail_configured() -> bool:
    return configured()
