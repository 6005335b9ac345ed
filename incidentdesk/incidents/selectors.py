"""Reads for incidents: querysets with their related rows already loaded."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.incidents.models import (
    OPEN_STATUSES,
    ActionItem,
    Component,
    DeskSeat,
    EntryKind,
    Incident,
    IncidentRole,
    Invitation,
    RoleAssignment,
    Severity,
    TimelineEntry,
)

PAGE_SIZE = 25
# A timeline search uses at most this many words (each one more condition).
TIMELINE_SEARCH_WORDS = 8


def _current_roles() -> Prefetch:
    return Prefetch(
        "role_history",
        queryset=RoleAssignment.objects.filter(ended_at__isnull=True).select_related("user"),
        to_attr="current_roles",
    )


def _open_seats() -> QuerySet[DeskSeat]:
    """Open desk seats of active people, with them, in the order they sat down."""
    return (
        DeskSeat.objects.filter(left_at__isnull=True, user__is_active=True)
        .select_related("user")
        .order_by("joined_at", "id")
    )


def open_desk_seats() -> Prefetch:
    """Each incident's open desk seats, as `open_desk_seats` (read by incident_desk)."""
    return Prefetch("desk_seats", queryset=_open_seats(), to_attr="open_desk_seats")


def visible_incidents(viewer) -> QuerySet[Incident]:
    """Every incident `viewer` may see (restricted ones only when they take part, are an
    admin or in the security group). Every read of incidents for a person starts here."""
    return Incident.objects.visible_to(viewer)


def hidden_incident_ids(viewer) -> set[int]:
    """The restricted incidents `viewer` may not see: reports count them, but show nothing of
    them (no reference, title or text)."""
    visible = visible_incidents(viewer).filter(restricted=True).values("pk")
    return set(
        Incident.objects.filter(restricted=True)
        .exclude(pk__in=visible)
        .values_list("pk", flat=True)
    )


def incident_list(
    *,
    viewer,
    query: str = "",
    status: str = "",
    severity: str = "",
    component: str = "",
    kind: str = "",
    mine_for=None,
) -> QuerySet[Incident]:
    """The incidents `viewer` may see, newest first, filtered. `status` may be `open` for every
    open status."""
    qs = (
        visible_incidents(viewer)
        .select_related("severity")
        .prefetch_related(_current_roles(), "components")
    )
    if query:
        qs = qs.filter(
            Q(reference__icontains=query) | Q(title__icontains=query) | Q(summary__icontains=query)
        )
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity__key=severity)
    if component:
        qs = qs.filter(components__name__iexact=component).distinct()
    if kind:
        qs = qs.filter(kind=kind)
    if mine_for is not None:
        qs = qs.filter(role_history__user=mine_for, role_history__ended_at__isnull=True).distinct()
    return qs


def incident_by_reference(reference: str, *, viewer) -> Incident | None:
    """One incident with its severity, components and current role holders loaded, or None
    when there is none or `viewer` may not see it (the two are not told apart)."""
    return (
        visible_incidents(viewer)
        .select_related("severity")
        .prefetch_related("components", _current_roles())
        # References are stored upper-case; an exact match uses the unique index where
        # iexact (LIKE on SQLite) would scan the table.
        .filter(reference=(reference or "").strip().upper())
        .first()
    )


def _only_row(queryset: QuerySet):
    """The row a lookup by a unique key finds, or None. Unordered: compiling the model's
    ordering costs more than the query itself, and one row has nothing to order."""
    rows = list(queryset.order_by()[:1])
    return rows[0] if rows else None


def visible_incident(reference: str, *, viewer) -> Incident | None:
    """The incident `reference` names, with its severity, or None when there is none or
    `viewer` may not see it (the two are not told apart). Just the row: what a write is given
    (the services read what else they need, fresh, inside their transaction)."""
    reference = (reference or "").strip().upper()
    return _only_row(
        visible_incidents(viewer).select_related("severity").filter(reference=reference)
    )


def incident_for_answer(incident_id: int, *, viewer) -> Incident | None:
    """One incident as the API answers with it, read fresh (after a write, say), or None when
    `viewer` may not see it: its severity and what `with_answer_parts` adds."""
    incident = _only_row(
        visible_incidents(viewer).select_related("severity").filter(pk=incident_id)
    )
    return None if incident is None else with_answer_parts(incident)


def with_answer_parts(incident: Incident) -> Incident:
    """`incident` (a row read fresh, with its severity) with what the API answers with besides
    its row, each read now unless the write that read the row loaded it already: its component
    names (`component_names`), current role holders (`current_roles`) and open desk seats
    (`open_desk_seats`). Each is asked for directly: prefetching the relations of a single
    incident costs more than that."""
    if not hasattr(incident, "component_names"):
        incident.component_names = list(
            Component.objects.filter(incidents=incident).values_list("name", flat=True)
        )
    if not hasattr(incident, "current_roles"):
        incident.current_roles = current_roles(incident)
    if not hasattr(incident, "open_desk_seats"):
        incident.open_desk_seats = desk_seats_of(incident)
    return incident


def desk_seats_of(incident: Incident) -> list[DeskSeat]:
    """The incident's open desk seats with their people, read fresh (see `open_desk_seats`)."""
    return list(_open_seats().filter(incident=incident))


def current_roles(incident: Incident) -> list[RoleAssignment]:
    """The incident's current role assignments with their holders, read fresh."""
    return list(
        RoleAssignment.objects.filter(incident=incident, ended_at__isnull=True).select_related(
            "user"
        )
    )


def incident_for_announcement(incident_id: int) -> Incident | None:
    return Incident.objects.select_related("severity").filter(pk=incident_id).first()


def holders_by_role(assignments) -> dict[str, list[User]]:
    """{role: [people]} from current role assignments (e.g. an incident's prefetched
    `current_roles`)."""
    holders: dict[str, list[User]] = {}
    for assignment in assignments:
        holders.setdefault(assignment.role, []).append(assignment.user)
    return holders


def current_role_holders(incident: Incident) -> dict[str, list[User]]:
    """Who holds each role now, read fresh from the database (after a write, say)."""
    return holders_by_role(current_roles(incident))


def role_history(incident: Incident) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(incident=incident).select_related(
        "user", "assigned_by", "ended_by"
    )


def timeline(
    incident: Incident,
    *,
    kinds: list[str] | None = None,
    pinned_only: bool = False,
    text: str = "",
):
    """The incident's timeline entries, with their authors; of the given kinds, pinned only,
    and matching `text`: every word of it found, in any case, in the entry's body or its
    author's username or name (`db rita` finds Rita's entries that mention the database)."""
    qs = TimelineEntry.objects.filter(incident=incident).select_related("author")
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if pinned_only:
        qs = qs.filter(pinned=True)
    for word in text.split()[:TIMELINE_SEARCH_WORDS]:
        qs = qs.filter(
            Q(body__icontains=word)
            | Q(author__username__icontains=word)
            | Q(author__first_name__icontains=word)
            | Q(author__last_name__icontains=word)
        )
    return qs


def last_status_change(incident: Incident) -> TimelineEntry | None:
    """The incident's latest status change entry (its data says re-opened, unblocked, …)."""
    return (
        TimelineEntry.objects.filter(incident=incident, kind=EntryKind.STATUS_CHANGE)
        .order_by("-occurred_at", "-id")
        .first()
    )


def action_items(incident: Incident) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(incident=incident).select_related("owner")


def overdue_actions(*, viewer=None, owner=None) -> QuerySet[ActionItem]:
    """Overdue actions of the incidents `viewer` may see."""
    qs = ActionItem.objects.overdue(timezone.localdate()).select_related("owner", "incident")
    qs = qs.filter(incident__in=visible_incidents(viewer))
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs


# Inside `responders_desk_read_once()`: {"members": [...]} once the desk has been read.
_desk_read: ContextVar[dict[str, list[User]] | None] = ContextVar("desk_read", default=None)


@contextmanager
def responders_desk_read_once() -> Iterator[None]:
    """Within the block (an API write and its answer), the responders desk is read at most
    once: the write's desk notices and the answer's desk name the same people anyway."""
    token = _desk_read.set({})
    try:
        yield
    finally:
        _desk_read.reset(token)


def responders_desk(incident: Incident | None = None) -> list[User]:
    """The active members of the responders desk; for a restricted `incident`, only those
    who may see it (the others are not told about it at all)."""
    read = _desk_read.get()
    if read is not None and "members" in read:
        members = list(read["members"])
    else:
        members = list(
            User.objects.filter(on_responders_desk=True, is_active=True).order_by("username")
        )
        if read is not None:
            read["members"] = list(members)
    if incident is None or not incident.restricted:
        return members
    from incidentdesk.incidents.permissions import can_see

    return [member for member in members if can_see(member, incident)]


def responders_desk_emails(incident: Incident | None = None) -> list[str]:
    """The responders desk's addresses (see `responders_desk`)."""
    return [member.email for member in responders_desk(incident) if member.email]


RESPONDERS_DESK, ASSIGNEE_SEAT = "responders desk", "assignee"


def incident_desk(
    incident: Incident, *, responders: list[User] | None = None
) -> list[tuple[User, str]]:
    """Who sits at `incident`'s desk now, each once: the responders desk (see
    `responders_desk`; `responders` is its member list when the caller already read it),
    then the assignees seated at it, as (person, "responders desk" | "assignee")."""
    if responders is None or incident.restricted:
        responders = responders_desk(incident)
    desk = [(member, RESPONDERS_DESK) for member in responders]
    seated = {m.pk for m, _ in desk}
    seats = getattr(incident, "open_desk_seats", None)
    if seats is None:
        seats = desk_seats_of(incident)
    for seat in seats:
        if seat.user_id not in seated:
            seated.add(seat.user_id)
            desk.append((seat.user, ASSIGNEE_SEAT))
    return desk


def open_incidents_by_severity(*, viewer) -> QuerySet[Incident]:
    return incident_list(viewer=viewer, status="open").order_by(
        "severity__position", "-declared_at"
    )


def invited_people(incident: Incident) -> QuerySet[Invitation]:
    """The people with an open invitation to `incident`, in the order they were invited."""
    return (
        Invitation.objects.filter(incident=incident, ended_at__isnull=True)
        .select_related("user", "invited_by")
        .order_by("invited_at", "id")
    )


def my_roles(user) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.filter(
            user=user, ended_at__isnull=True, incident__status__in=OPEN_STATUSES
        )
        .exclude(role=IncidentRole.REPORTER)
        .select_related("incident", "incident__severity")
    )


def severity_choices() -> list[tuple[str, str]]:
    """(key, label) of every severity level, most severe first: for any door's picker."""
    return [(s.key, f"{s.name} (sev{s.position})") for s in Severity.objects.all()]


def component_choices() -> list[tuple[str, str]]:
    """(id, "group / name") of every component: for any door's picker."""
    return [(str(c.pk), str(c)) for c in Component.objects.select_related("group")]
