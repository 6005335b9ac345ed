"""What pages the on-call lead without anyone asking, and the chat announcement's "Page
on-call" button.

- A severity whose policy `pages` pages the default escalation policy when an incident is
  declared with it (as the declarer, through the door they declared by), and again when an
  incident is raised to such a severity while it has no page escalating or acknowledged.
  Registered on incidents' `after_entry` hook, so it runs inside the declaration's (or the
  change's) transaction: the page's first step leaves when that commits.
- Paging never fails the declaration. With no default policy nobody is paged (the incident
  page's paging panel says so, see incident_panel.py); a page the default policy cannot make
  (its steps notify nobody, the declarer may not page) is written on the timeline instead.

`register()` is called from OncallConfig.ready(); it also registers the `page` and `ack`
commands and the incident page's paging panel.
"""

import logging

from django.db import transaction

from incidentdesk.chat.handling import actor_of, incident_of_button, on_button, reply
from incidentdesk.chat.outbound import PAGE_ONCALL
from incidentdesk.chat.platforms.base import InboundEvent
from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import hooks
from incidentdesk.incidents.models import EntryKind, Incident, IncidentStatus, Severity
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.oncall.models import Page, PageStatus
from incidentdesk.oncall.paging import page_create
from incidentdesk.oncall.policies import default_policy

logger = logging.getLogger(__name__)

ANSWERED_OR_ESCALATING = (PageStatus.OPEN, PageStatus.ACKNOWLEDGED)


def _severity(key) -> Severity | None:
    return Severity.objects.filter(key=key).first() if key else None


def _paging_severity(entry) -> Severity | None:
    """The paging severity a declaration or a severity change brings, else None. The incident
    on the entry carries its severity as the write left it, so this asks the database nothing."""
    if entry.kind == EntryKind.EVENT and entry.data.get("event") == "declared":
        key = entry.data.get("severity")
    elif entry.kind == EntryKind.FIELD_CHANGE:
        change = (entry.data.get("changes") or {}).get("severity")
        key = change[1] if isinstance(change, list) and len(change) == 2 else None
    else:
        return None
    if not key:
        return None
    severity = entry.incident.severity
    if severity.key != key:
        severity = _severity(key)
    return severity if severity is not None and severity.pages else None


def _raised_with_nobody_paged(entry, new: Severity) -> bool:
    old = _severity(entry.data["changes"]["severity"][0])
    if old is not None and new.position >= old.position:
        return False
    return not entry.incident.pages.filter(status__in=ANSWERED_OR_ESCALATING).exists()


def severity_pages(entry) -> None:
    """The `after_entry` hook: page the on-call lead for a declaration with a paging severity,
    or a raise to one that nobody is yet paged for. Without a default policy it costs one
    query and pages nobody."""
    severity = _paging_severity(entry)
    incident = entry.incident
    if severity is None or incident.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
        return
    if default_policy() is None:
        logger.info("%s: its severity pages, but there is no default policy", incident.reference)
        return
    if entry.kind == EntryKind.FIELD_CHANGE and not _raised_with_nobody_paged(entry, severity):
        return
    page_the_lead(incident, actor=entry.author, source=entry.source)


def page_the_lead(incident: Incident, *, actor, source) -> Page | None:
    """Page the default policy for `incident` in its own savepoint; a refusal is written on the
    timeline instead of failing the write that asked. None when nobody was paged."""
    if actor is None:
        source = ActionSource.SYSTEM
    try:
        with transaction.atomic():
            return page_create(actor=actor, source=source, incident=incident)
    except IncidentDeskError as exc:
        record_entry(
            incident=incident,
            kind=EntryKind.EVENT,
            body=f"The on-call lead could not be paged: {exc.detail}",
            actor=actor,
            source=source,
            data={"page_failed": exc.detail},
        )
        return None


def chat_page_oncall(event: InboundEvent) -> None:
    """The announcement's "Page on-call" button: the presser pages the default policy (the
    on-call lead) for the incident."""
    actor = actor_of(event)
    incident = incident_of_button(event, actor)
    page = page_create(actor=actor, source=ActionSource.CHAT, incident=incident)
    who = page.policy.name if page.policy else "the on-call lead"
    reply(event, f"{actor.display_name} paged {who} for {incident.reference} (page {page.pk}).")


def register() -> None:
    from incidentdesk.oncall import incident_panel, paging_commands  # noqa: F401 - they register

    hooks.after_entry.register(severity_pages)
    on_button(PAGE_ONCALL, chat_page_oncall)
