"""Live pages: the incident page, the dashboard and the incident list refresh themselves when
anything they show changes, through whatever door the change came (web, API, CLI, chat, an
alert, a task).

How it works. Every incident has a version, a counter in the database (`LiveVersion`), so every
web process sees the same one. It moves inside the transaction of every write that touches the
incident: each timeline entry (the `after_entry` hook), and each save or delete of a row that
belongs to an incident, found from the models themselves (a foreign key to the incident, or to
a row that has one: a role, an action item, a page, a publication, a postmortem, a chat
message), so writes that record no entry move it too, whichever domain makes them. An open
page polls (`_live.html`, every POLL_SECONDS while the tab is visible) with the version it
shows; the answer is an empty 204 while nothing changed (three small queries: the session,
the user, the version), else the changed parts, swapped out of band, and the new version. The
dashboard and the list poll the sum of the versions of the incidents their reader may see.

A write made with `QuerySet.update()` or `bulk_create()` sends no signal: a service that
changes what an incident page shows that way calls `changed(incident_id)` itself.
"""

import dataclasses
import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Model, OuterRef, Subquery, Sum
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.utils import timezone
from django.views.decorators.http import require_GET

from incidentdesk.accounts.permissions import sees_every_incident
from incidentdesk.incidents import hooks, panels
from incidentdesk.incidents.models import Incident, LiveVersion, TimelineEntry

POLL_SECONDS = 1.5  # a change shows within 2 s: one interval plus the answer
VERSION_HEADER = "X-Live-Version"
GONE_TEMPLATE = "incidents/_live.html#gone"
LISTINGS = ("dashboard", "incidents")

# Moving the version --------------------------------------------------------------------------


def changed(incident_id: int | None, *, entry=None) -> None:
    """Move the version of incident `incident_id`: its open pages refresh. `entry`: the change
    is only this timeline entry, just written (pages may then fetch only the new entries).
    Inside the caller's transaction (rolled back with it); one statement a transaction, one
    more when a transaction that wrote an entry then changes something else."""
    if incident_id is None:
        return
    whole = entry is None
    earlier = _moved_in_transaction(incident_id, whole)
    if earlier == "whole" or (earlier == "entries" and not whole):
        return
    table = connection.ops.quote_name(LiveVersion._meta.db_table)
    with connection.cursor() as cursor:
        if earlier == "entries":  # this transaction already moved it for its entries
            cursor.execute(
                f"UPDATE {table} SET whole_version = version WHERE incident_id = %s",
                [incident_id],
            )
            return
        move = f"version = {table}.version + 1"
        if whole:
            move += f", whole_version = {table}.version + 1"
        cursor.execute(
            f"INSERT INTO {table} (incident_id, version, whole_version) VALUES (%s, 1, %s) "
            f"ON CONFLICT (incident_id) DO UPDATE SET {move}",
            [incident_id, 1 if whole else 0],
        )


def _transaction_mark() -> None:
    """Registered with on_commit to mark a transaction: gone from the connection's list once
    the transaction commits or rolls back (or the savepoint it was registered in does)."""


@dataclass
class _Moves:
    """What the current transaction moved: by incident, where (its open savepoints) and how
    ("entries" or "whole"); and the timeline entries it wrote, with where."""

    mark: Callable[[], None]
    incidents: dict[int, tuple[tuple[str, ...], str]] = dataclasses.field(default_factory=dict)
    entries: dict[int, tuple[str, ...]] = dataclasses.field(default_factory=dict)


_local = threading.local()  # Django's connections are per thread too


def _moves(*, start: bool) -> _Moves | None:
    """The current transaction's moves; None outside a transaction (or, unless `start`,
    before its first move)."""
    if not connection.in_atomic_block:
        return None
    moves: _Moves | None = getattr(_local, "moves", None)
    if moves is not None and any(entry[1] is moves.mark for entry in connection.run_on_commit):
        return moves
    if not start:
        return None
    mark = functools.partial(_transaction_mark)
    transaction.on_commit(mark)
    _local.moves = moves = _Moves(mark)
    return moves


def _still_open(where: tuple[str, ...]) -> bool:
    """Whether the savepoints `where` are all still open around us."""
    return tuple(connection.savepoint_ids)[: len(where)] == where


def _moved_in_transaction(incident_id: int, whole: bool) -> str:
    """How this transaction already moved the incident's version, in a savepoint still open
    around us: "" (not yet, or only in a savepoint rolled back since), "entries" or "whole";
    and note this move. Outside a transaction every write moves it."""
    moves = _moves(start=True)
    if moves is None:
        return ""
    where, earlier = moves.incidents.get(incident_id, ((), ""))
    if not earlier or not _still_open(where):
        earlier, where = "", tuple(connection.savepoint_ids)
    moves.incidents[incident_id] = (where, "whole" if whole else earlier or "entries")
    return earlier


def entry_written(entry) -> None:
    """The `after_entry` hook: a timeline entry changes its incident's page."""
    changed(entry.incident_id, entry=entry)


def _written_in_this_transaction(instance) -> bool:
    """Whether `instance` is a timeline entry this transaction wrote, in an atomic block still
    open (a note saved again for its visibility is still only a new entry)."""
    moves = _moves(start=False)
    where = moves.entries.get(instance.pk) if moves else None
    return where is not None and _still_open(where)


# How a row leads to its incident, per model: None (it does not), ("self",), ("field", attname),
# or ("via", foreign key, the related model's attname of its incident).
_paths: dict[type[Model], tuple | None] = {}


def _incident_field(model: type[Model]) -> str | None:
    """The attname of `model`'s foreign key (or one-to-one) to Incident, if it has one."""
    for field in model._meta.concrete_fields:
        related = field.is_relation and (field.many_to_one or field.one_to_one)
        if related and field.related_model is Incident:
            return field.attname
    return None


def _path(model: type[Model]) -> tuple | None:
    if model in _paths:
        return _paths[model]
    path: tuple | None = None
    if issubclass(model, Incident):
        path = ("self",)
    elif model is LiveVersion:
        path = None
    elif attname := _incident_field(model):
        path = ("field", attname)
    else:
        for field in model._meta.concrete_fields:
            related = field.related_model if field.is_relation else None
            if related is None or not (field.many_to_one or field.one_to_one):
                continue
            if isinstance(related, type) and (through := _incident_field(related)):
                path = ("via", field, through)
                break
    _paths[model] = path
    return path


def incident_of(instance: Model) -> int | None:
    """The id of the incident `instance` belongs to (itself, its foreign key to one, or the
    row it points to that has one), or None. A row it points to that is not loaded costs one
    query."""
    path = _path(type(instance))
    if path is None:
        return None
    if path[0] == "self":
        return instance.pk
    if path[0] == "field":
        return getattr(instance, path[1])
    field, through = path[1], path[2]
    if field.is_cached(instance):
        parent = field.get_cached_value(instance)
        return getattr(parent, through) if parent is not None else None
    key = getattr(instance, field.attname)
    if key is None:
        return None
    target = field.target_field.attname
    rows = field.related_model._base_manager.filter(**{target: key})
    return rows.values_list(through, flat=True).first()


def _saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw:
        return
    if isinstance(instance, TimelineEntry) and (created or _written_in_this_transaction(instance)):
        changed(instance.incident_id, entry=instance)
        moves = _moves(start=False)
        if created and moves is not None:
            moves.entries[instance.pk] = tuple(connection.savepoint_ids)
        return
    changed(incident_of(instance))


def _deleted(sender, instance, **kwargs) -> None:
    if not isinstance(instance, Incident):  # a deleted incident's page has gone
        changed(incident_of(instance))


def _related_changed(sender, instance, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        changed(incident_of(instance))


def register() -> None:
    """Called from IncidentsConfig.ready(): every write of every door moves the version."""
    hooks.after_entry.register(entry_written)
    post_save.connect(_saved, dispatch_uid="incidents.live.saved")
    post_delete.connect(_deleted, dispatch_uid="incidents.live.deleted")
    m2m_changed.connect(_related_changed, dispatch_uid="incidents.live.m2m")


# Reading the version -------------------------------------------------------------------------


def incident_version(incident_id: int) -> int:
    """The version of one incident (0 before its first change is counted)."""
    row = LiveVersion.objects.filter(incident_id=incident_id).values_list("version", flat=True)
    return row.first() or 0


def watched_version(user, reference: str) -> tuple[int, int, int] | None:
    """(the incident's id, its version, the version of its last change that was more than
    new timeline entries) when `user` may see incident `reference`, else None (missing and
    restricted answer alike): one query."""
    versions = LiveVersion.objects.filter(incident_id=OuterRef("pk"))
    row = (
        Incident.objects.visible_to(user)
        .filter(reference=reference)
        .annotate(
            live_version=Subquery(versions.values("version")[:1]),
            live_whole=Subquery(versions.values("whole_version")[:1]),
        )
        .values_list("pk", "live_version", "live_whole")
    )
    found = list(row[:1])
    if not found:
        return None
    pk, version, whole = found[0]
    return pk, version or 0, whole or 0


def listing_version(user) -> int:
    """The sum of the versions of the incidents `user` may see: it moves whenever one of them
    changes, one is declared, or one comes into or goes out of their sight. One query."""
    rows = LiveVersion.objects.all()
    if not sees_every_incident(user, ask_groups=False):  # the group is asked in the query
        rows = rows.filter(incident_id__in=Incident.objects.visible_to(user).values("pk"))
    return rows.aggregate(total=Sum("version"))["total"] or 0


def read_before_drawing(request, reference: str | None = None) -> None:
    """Read the version a page will show BEFORE the page reads what it shows (the incident
    `reference`, else the reader's listing), so the page's first poll answers 204 unless
    something changed since; a change made while the page was drawn moves the version past
    it and is fetched by that poll. One query."""
    if reference is None:
        request.live_version = listing_version(request.user)
        return
    watched = watched_version(request.user, reference)
    if watched is not None:
        request.live_version = watched[1]


# The answers of the polls --------------------------------------------------------------------


def _unchanged(request, version: int) -> bool:
    return request.GET.get("v", "") == str(version)


def _gone(request, status: int) -> HttpResponse:
    """The poll's answer when the page may no longer be shown: it replaces the poller (htmx
    swaps 4xx answers), which stops polling and says why."""
    return render(request, GONE_TEMPLATE, status=status)


def _with_version(response: HttpResponse, version: int) -> HttpResponse:
    response[VERSION_HEADER] = str(version)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def incident_live(request, reference: str):
    """`GET /incidents/<reference>/live?v=<version>&after=<newest entry shown>`: 204 while the
    incident is at `v`; when only timeline entries were written since, those entries, to put
    at the top of the timeline; else its header, clock and panels (out of band). The version
    in the X-Live-Version header. 404 for an incident the reader may not see (or no longer),
    401 once signed out."""
    from incidentdesk.incidents.page import incident_context, load_incident

    if not request.user.is_authenticated:
        return _gone(request, 401)
    watched = watched_version(request.user, reference)
    if watched is None:
        return _gone(request, 404)
    pk, version, whole = watched
    if _unchanged(request, version):
        return HttpResponse(status=204)
    request.live_version = version
    newest = _new_entries(request, pk, whole)
    if newest is not None:
        return _with_version(newest, version)
    incident = load_incident(request, reference)
    context = incident_context(request, incident)
    return _with_version(render(request, "incidents/_refresh.html", context), version)


_NUMBER = re.compile(r"[0-9]{1,18}")
_TIMELINE_LIST = re.compile(r"<ol class=\"timeline\"[^>]*>(.*)</ol>\s*</div>\s*$", re.S)


def _new_entries(request, incident_id: int, whole: int):
    """The cheap answer of a busy page: the entries written since the page's newest one, when
    nothing else changed since the version it shows (`whole` at most `v`), its timeline is
    neither searched nor filtered, and they all come after that entry in time. Else None."""
    from incidentdesk.incidents.page import TEMPLATE

    seen, after = request.GET.get("v", ""), request.GET.get("after", "")
    if not (_NUMBER.fullmatch(seen) and _NUMBER.fullmatch(after)) or int(seen) < whole:
        return None
    if any(request.GET.get(name) for name in ("q", "kind", "pinned", "author", "source")):
        return None
    rows = list(
        TimelineEntry.objects.filter(incident_id=incident_id, pk__gte=int(after))
        .select_related("author")
        .order_by("-occurred_at", "-id")
    )
    last = next((entry for entry in rows if entry.pk == int(after)), None)
    fresh = [entry for entry in rows if entry.pk != int(after)]
    if last is None or any(entry.occurred_at < last.occurred_at for entry in fresh):
        return None  # an entry back-dated before the newest shown: the whole timeline
    incident = Incident.objects.get(pk=incident_id)
    html = render(
        request, f"{TEMPLATE}#timeline", {"incident": incident, "entries": fresh}
    ).content.decode()
    items = _TIMELINE_LIST.search(html)
    if items is None:
        return None
    entries = items.group(1) if fresh else ""
    return HttpResponse(
        f'<ol class="timeline" hx-swap-oob="afterbegin:#timeline ol.timeline">{entries}</ol>'
    )


@require_GET
def listing_live(request, view: str):
    """`GET /live/dashboard` and `GET /live/incidents?v=<version>&<the list's filters>`: 204
    while nothing the reader may see changed, else the page, whose changed region the poller
    picks (`#main` of the dashboard, `#results` of the list)."""
    from incidentdesk.incidents.views import lists

    if view not in LISTINGS:
        return HttpResponse(status=404)
    if not request.user.is_authenticated:
        return _gone(request, 401)
    version = listing_version(request.user)
    if _unchanged(request, version):
        return HttpResponse(status=204)
    request.live_version = version
    page = lists.dashboard if view == "dashboard" else lists.incident_list
    return _with_version(page(request), version)


# Out-of-band panels --------------------------------------------------------------------------

_TAG_WITH_ID = re.compile(r"(<[a-zA-Z][\w-]*)(?=[^>]*\sid=)([^>]*>)")


def out_of_band(html: str) -> str:
    """`html` (one panel) from its first element with an id on, that element marked to be
    swapped out of band by its id unless it already says how. What comes before it (a
    stylesheet the page already has) is left out: it would land in the answer's target."""
    match = _TAG_WITH_ID.search(html)
    if match is None:
        return ""
    name, rest = match.groups()
    if "hx-swap-oob" in rest:
        return html[match.start() :]
    return f'{name} hx-swap-oob="true"{rest}{html[match.end() :]}'


# The part of a panel a change refreshes, where it is not the whole panel: of the timeline,
# its entries, not its search nor the command box above them (incidents/detail.html); None:
# nothing (a command box of its own, when it is a panel).
PANEL_PART = {"timeline": "incidents/detail.html#timeline", "command": None}


def name_of(part: str) -> str:
    return next(name for name, each in PANEL_PART.items() if each == part)


def panels_out_of_band(context) -> str:
    """The incident page's header, clock and every registered panel (any domain's), drawn from
    the page's template `context`, each to be swapped out of band: the answer of a poll, and
    of a write made from the page (incidents/_refresh.html). The page's script keeps what is
    being typed, and what is open, when a panel holding it is swapped (parts/live.js)."""
    engine = context.template.engine
    parts: list[str | None] = ["incidents/detail.html#header", "incidents/_live.html#clock"]
    parts += [PANEL_PART.get(panel.name, panel.template) for panel in panels.panels()]
    html = []
    with context.push(oob=True):
        for name in filter(None, parts):
            try:
                template = engine.get_template(name)
            except TemplateDoesNotExist:  # a page whose panel has no such part: all of it
                template = engine.get_template(panels.panel(name_of(name)).template)
            with context.render_context.push_state(template):
                html.append(out_of_band(template.render(context).strip()))
    return "\n".join(each for each in html if each)


# Moments as they are read ----------------------------------------------------------------------


def _plural(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


def ago(moment: datetime, now: datetime | None = None) -> str:
    """How long ago `moment` was, in one unit: "just now", "12 minutes ago", "3 hours ago",
    "2 days ago" (parts/live.js writes the same words as time passes)."""
    seconds = ((now or timezone.now()) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{_plural(minutes, 'minute')} ago"
    if minutes < 24 * 60:
        return f"{_plural(minutes // 60, 'hour')} ago"
    return f"{_plural(minutes // (24 * 60), 'day')} ago"


def clock(start: datetime, end: datetime | None = None) -> str:
    """A running clock from `start` to `end` (now): "12 min", "1 h 12 min", "2 d 3 h"."""
    minutes = max(0, int(((end or timezone.now()) - start).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
