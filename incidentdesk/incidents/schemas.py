"""API shapes for incidents. Field names follow DESIGN.md."""

from datetime import date, datetime
from typing import Annotated, overload

from ninja import Schema
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from incidentdesk.accounts.models import User
from incidentdesk.core.schemas import Day, Moment, Strict
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.rules import duration_between, format_duration


def resume_day(value):
    """The date work resumes on a blocked incident: a date, or a moment with its time zone,
    which the service reduces to the date it falls on in the reporting time zone."""
    if isinstance(value, str) and len(value) > len("2026-05-01"):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value  # left for the date parser to refuse, naming the field
    if isinstance(value, datetime) and value.tzinfo is None:
        raise PydanticCustomError(
            "naive_time", "give a time zone (e.g. 2026-05-01T10:00:00Z), or just the date"
        )
    return value


class IncidentFields(Strict):
    summary: str | None = None
    impact: str | None = None
    security: bool | None = None
    restricted: bool | None = None
    criteria: list[str] | None = None
    criteria_reason: str | None = None
    components: list[str | int] | None = None
    users_affected_count: int | None = None
    users_affected_description: str | None = None
    detection: str | None = None
    reported_by: str | None = None
    report_medium: str | None = None
    cause_change_url: str | None = None
    fix_change_urls: list[str] | None = None
    tracker_url: str | None = None
    call_url: str | None = None
    chat_url: str | None = None
    started_at: Moment | None = None
    detected_at: Moment | None = None
    acknowledged_at: Moment | None = None
    mitigated_at: Moment | None = None
    resolved_at: Moment | None = None


class IncidentIn(IncidentFields):
    title: str
    severity: str | int
    kind: str = "live"
    lead: bool = False  # the declarer becomes the lead too


class IncidentPatch(IncidentFields):
    title: str | None = None
    severity: str | int | None = None
    declared_at: Moment | None = None
    closed_at: Moment | None = None


class StatusIn(Strict):
    status: str  # a status, or "unblock" for the one the incident had before it was blocked
    reason: str = ""
    message: str = ""
    resolve_publicly: bool = True
    # A date, or a moment the service reduces to its date in the reporting time zone.
    blocked_until: Annotated[Day | Moment | None, BeforeValidator(resume_day)] = None


class CommandIn(Strict):
    text: str


class Duration(Schema):
    seconds: int | None
    text: str


class PersonOut(Schema):
    username: str
    name: str
    email: str


class DeskMemberOut(PersonOut):
    seat: str  # "responders desk" or "assignee"


@overload
def person(user: User) -> dict[str, str]: ...
@overload
def person(user: User | None) -> dict[str, str] | None: ...


def person(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.username, "name": user.display_name, "email": user.email}


def _duration(start, end) -> dict:
    value = duration_between(start, end)
    return {
        "seconds": None if value is None else int(value.total_seconds()),
        "text": format_duration(value),
    }


class IncidentOut(Schema):
    reference: str
    title: str
    summary: str
    impact: str
    severity: str
    status: str
    kind: str
    security: bool
    restricted: bool
    criteria: list[str]
    criteria_reason: str
    components: list[str]
    users_affected_count: int | None
    users_affected_description: str
    detection: str
    reported_by: str
    report_medium: str
    cause_change_url: str
    fix_change_urls: list[str]
    tracker_url: str
    call_url: str
    chat_url: str
    started_at: datetime | None
    detected_at: datetime | None
    declared_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    blocked_until: date | None
    status_reason: str
    postmortem_waiver_reason: str
    roles: dict[str, list[PersonOut]]
    desk: list[DeskMemberOut]
    time_to_detect: Duration
    time_to_fix: Duration
    time_to_recover: Duration
    url: str

    @staticmethod
    def resolve_severity(obj: Incident) -> str:
        return obj.severity.key

    @staticmethod
    def resolve_components(obj: Incident) -> list[str]:
        names = getattr(obj, "component_names", None)  # selectors.with_answer_parts
        if names is None:
            names = [c.name for c in obj.components.all()]
        return names

    @staticmethod
    def resolve_roles(obj: Incident) -> dict:
        roles: dict[str, list] = {}
        current = getattr(obj, "current_roles", None)
        if current is None:
            current = obj.role_history.filter(ended_at__isnull=True).select_related("user")
        for assignment in current:
            roles.setdefault(assignment.role, []).append(person(assignment.user))
        return roles

    @staticmethod
    def resolve_desk(obj: Incident, context) -> list[dict]:
        from incidentdesk.incidents.selectors import incident_desk, responders_desk

        # The responders desk is the same for every open incident: read it once a request.
        request = (context or {}).get("request")
        responders = getattr(request, "responders_desk", None)
        if request is not None and responders is None:
            responders = request.responders_desk = responders_desk()
        desk = incident_desk(obj, responders=responders)
        return [{**person(user), "seat": seat} for user, seat in desk]

    @staticmethod
    def resolve_time_to_detect(obj: Incident) -> dict:
        return _duration(obj.started_at, obj.detected_at)

    @staticmethod
    def resolve_time_to_fix(obj: Incident) -> dict:
        return _duration(obj.detected_at, obj.resolved_at)

    @staticmethod
    def resolve_time_to_recover(obj: Incident) -> dict:
        return _duration(obj.started_at, obj.resolved_at)

    @staticmethod
    def resolve_url(obj: Incident) -> str:
        return f"/incidents/{obj.reference}"


class CommandOut(Schema):
    reply: str
    warnings: list[str]
    incident: IncidentOut


class TimelineIn(Strict):
    kind: str = "note"
    body: str
    occurred_at: Moment | None = None
    pinned: bool = False
    visibility: str = "internal"


class TimelinePatch(Strict):
    body: str | None = None
    pinned: bool | None = None


class TimelineOut(Schema):
    id: int
    kind: str
    body: str
    author: PersonOut | None
    source: str
    occurred_at: datetime
    created_at: datetime
    pinned: bool
    visibility: str
    edited_at: datetime | None
    data: dict

    @staticmethod
    def resolve_author(obj) -> dict | None:
        return person(obj.author)


class RevisionOut(Schema):
    body: str
    replaced_at: datetime
    replaced_by: PersonOut | None

    @staticmethod
    def resolve_replaced_by(obj) -> dict | None:
        return person(obj.replaced_by)


class RoleIn(Strict):
    role: str
    person: str


class RoleOut(Schema):
    role: str
    user: PersonOut
    started_at: datetime
    ended_at: datetime | None
    assigned_by: PersonOut | None
    ended_by: PersonOut | None

    @staticmethod
    def resolve_user(obj) -> dict | None:
        return person(obj.user)

    @staticmethod
    def resolve_assigned_by(obj) -> dict | None:
        return person(obj.assigned_by)

    @staticmethod
    def resolve_ended_by(obj) -> dict | None:
        return person(obj.ended_by)


class RolesOut(Schema):
    current: list[RoleOut]
    history: list[RoleOut]
    warnings: list[str]
    invited: list[PersonOut] = []


class InvitationIn(Strict):
    person: str


class ActionFields(Strict):
    description: str | None = None
    phase: str | None = None
    category: str | None = None
    owner: str | None = None
    due_date: Day | None = None
    priority: str | None = None
    status: str | None = None
    wont_do_reason: str | None = None
    external_url: str | None = None


class ActionIn(ActionFields):
    title: str


class ActionPatch(ActionFields):
    title: str | None = None


class ActionOut(Schema):
    id: int
    incident: str
    title: str
    description: str
    phase: str
    category: str
    owner: PersonOut | None
    due_date: date | None
    priority: str
    status: str
    wont_do_reason: str
    external_url: str
    overdue: bool
    created_at: datetime
    completed_at: datetime | None

    @staticmethod
    def resolve_incident(obj) -> str:
        return obj.incident.reference

    @staticmethod
    def resolve_owner(obj) -> dict | None:
        return person(obj.owner)

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.is_overdue


class ComponentIn(Strict):
    name: str
    description: str = ""
    group: str | None = None
    position: int | None = None


class ComponentOut(Schema):
    id: int
    name: str
    description: str
    group: str | None
    position: int

    @staticmethod
    def resolve_group(obj) -> str | None:
        return obj.group.name if obj.group_id else None


class SeverityFields(Strict):
    name: str | None = None
    position: int | None = None
    aliases: str | None = None
    description: str | None = None
    pages: bool | None = None
    reminder_interval_minutes: int | None = None
    postmortem_required: bool | None = None
    action_due_days: int | None = None
    opens_chat_channel: bool | None = None


class SeverityIn(SeverityFields):
    key: str


class SeverityPatch(SeverityFields):
    # The level is named by the path; a key sent back with the rest of a level is ignored.
    key: str | None = None


class SeverityOut(Schema):
    key: str
    name: str
    position: int
    aliases: list[str]
    description: str
    pages: bool
    reminder_interval_minutes: int
    postmortem_required: bool
    action_due_days: int
    opens_chat_channel: bool

    @staticmethod
    def resolve_aliases(obj) -> list[str]:
        return obj.alias_list
