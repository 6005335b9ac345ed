"""Running an escalation: one step of a page at a time, with the database as its only state.

A step runs in one transaction that writes one PageNotice per person it notifies (unique per
page, round, step and person), emits one `page.notify` event per person to the outbox, and moves
the page on (`step`, `round`, `next_at`); so a worker killed at any point leaves the whole step
done or none of it, and the next worker continues where it stopped: no step skipped, none run
twice. A step with nobody to notify lets the next one run at once. After the last step of the
last round, once its wait is over, the page is exhausted: its outcome says what happened, the
incident's timeline says so, and the admins are told by email.

`escalations_advance` runs every due step; the queue calls it from a one-off task queued for
each step's `next_at` (given as `queue`) and from a task every minute (tasks.py). The signed
acknowledge links every notification carries are made and read here too.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.models import Role, User
from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import live
from incidentdesk.incidents.models import EntryKind
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.notifications.outbox import emit
from incidentdesk.oncall import page_selectors
from incidentdesk.oncall.models import (
    ContactMethod,
    Layer,
    Page,
    PageNotice,
    PageStatus,
    Schedule,
    StepTarget,
)
from incidentdesk.oncall.resolution import on_call_at

logger = logging.getLogger(__name__)

NOTIFY_TOPIC = "page.notify"
EXHAUSTED_TOPIC = "page.exhausted"
ACK_SALT = "incidentdesk.oncall.page-ack"
Queue = Callable[[datetime], None]
RETRY_AFTER = timedelta(minutes=1)  # a step that failed is tried again this much later

# -- acknowledge links ------------------------------------------------------------------------


def ack_token(page: Page, user: User) -> str:
    return signing.TimestampSigner(salt=ACK_SALT).sign_object({"p": page.pk, "u": user.pk})


def ack_url(page: Page, user: User) -> str:
    """The one-click acknowledge link of `page` for `user`: absolute, signed, and good for
    PAGE_ACK_LINK_HOURS (GET shows a button, POST acknowledges)."""
    return f"{settings.BASE_URL}/pages/ack/{ack_token(page, user)}"


def ack_link_reader(token: str) -> tuple[Page, User]:
    """The page and person an acknowledge link was made for; refused when it was altered,
    has expired, or names what no longer exists."""
    try:
        data = signing.TimestampSigner(salt=ACK_SALT).unsign_object(
            token, max_age=timedelta(hours=settings.PAGE_ACK_LINK_HOURS)
        )
    except signing.SignatureExpired:
        raise ValidationError(
            "this acknowledge link has expired; acknowledge the page in IncidentDesk",
            field="token",
        ) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise NotFound("this is not an acknowledge link", field="token") from None
    page = Page.objects.select_related("incident").filter(pk=data.get("p")).first()
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if page is None or user is None:
        raise NotFound("this page no longer exists", field="token")
    return page, user


# -- escalating -------------------------------------------------------------------------------


def _people_of_schedule(schedule: Schedule) -> list[User]:
    """Everyone in the schedule's layers, top layer first, each once."""
    ids: list[int] = []
    for layer in Layer.objects.filter(schedule=schedule).order_by("-position"):
        ids += [pk for pk in layer.people if pk not in ids]
    found = User.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found and found[pk].is_active]


def _targets(step: dict, now: datetime) -> tuple[list[User], str]:
    """Who a step notifies now, or (nobody, why)."""
    name = step.get("name") or "?"
    if step["target"] == StepTarget.PERSON:
        user = User.objects.filter(pk=step.get("user") or 0).first()
        if user is None:
            return [], f"{name} no longer has an account"
        if not user.is_active:
            return [], f"{user.username} is deactivated"
        return [user], ""
    schedule = Schedule.objects.filter(pk=step.get("schedule") or 0).first()
    if schedule is None:
        return [], f"the schedule {name} no longer exists"
    if step["target"] == StepTarget.SCHEDULE_ALL:
        people = _people_of_schedule(schedule)
        return people, "" if people else f"nobody is in the schedule {schedule.name}"
    people = on_call_at(schedule, now)
    return people, "" if people else f"nobody is on call in {schedule.name}"


def _where(page: Page) -> str:
    words = f"step {page.step + 1} of {len(page.plan)}"
    if page.repeat:
        words += f", round {page.round + 1} of {page.repeat + 1}"
    return words


def run_step(page: Page, now: datetime, *, queue: Queue | None = None) -> None:
    """Run the page's due step (the caller holds its row): notify, then move on. After the
    last step of the last round (once its wait is over) the page is exhausted."""
    if page.round > page.repeat or page.step >= len(page.plan):
        _exhaust(page, now)
        return
    step = page.plan[page.step]
    people, nobody = _targets(step, now)
    for person in people:
        _notify(page, person)
    where = _where(page)
    if people:
        page.outcome = f"{where}: notified {', '.join(p.username for p in people)}"
        page.next_at = now + timedelta(minutes=int(step.get("wait_minutes") or 0))
    else:
        page.outcome = f"{where}: {nobody}; moved on at once"
        page.next_at = now
    page.step += 1
    if page.step >= len(page.plan):
        page.step, page.round = 0, page.round + 1
    if page.round > page.repeat and not people:
        _exhaust(page, now)
        return
    page.save(update_fields=["step", "round", "next_at", "outcome"])
    if queue is not None:
        queue(page.next_at)


def _notify(page: Page, person: User) -> None:
    methods = ContactMethod.objects.filter(user=person).count()
    PageNotice.objects.create(
        page=page, user=person, round=page.round, step=page.step, methods=methods or 1
    )
    emit(
        topic=NOTIFY_TOPIC,
        payload=notify_payload(page, person),
        to_subscribers=True,
    )


def notify_payload(page: Page, person: User) -> dict:
    """The data of one `page.notify` event (its words come from the renderers in notices.py)."""
    incident = page.incident
    data = page_selectors.page_data(page)
    title = incident.title if incident else ""
    if incident is not None and not can_see(person, incident):
        # Paged about a restricted incident they are not invited to: they learn that they are
        # wanted and by whom, not what it is about (the incident's lead can invite them).
        by = page.created_by.display_name if page.created_by else "the desk"
        data = data | {
            "summary": f"{incident.reference}: a restricted incident; ask {by} to invite you",
            "message": "",
        }
        title = ""
    return {
        "page": data,
        "person": {"id": person.pk, "username": person.username, "name": person.display_name},
        "round": page.round,
        "step": page.step,
        "acknowledge_url": ack_url(page, person),
        "incident_url": f"{settings.BASE_URL}/incidents/{incident.reference}" if incident else "",
        "incident_title": title,
        "link_hours": settings.PAGE_ACK_LINK_HOURS,
    }


def _last_notified(page: Page) -> list[str]:
    last = page.notices.order_by("-round", "-step").values("round", "step").first()
    if last is None:
        return []
    notices = page.notices.filter(**last).select_related("user").order_by("pk")
    return [notice.user.username for notice in notices]


def _exhaust(page: Page, now: datetime) -> None:
    """Nobody acknowledged: the page stops, its outcome says so, admins are told."""
    rounds = page.repeat + 1
    steps = len(page.plan)
    tried = f"{steps} step{'s' if steps != 1 else ''}"
    if rounds > 1:
        tried += f" × {rounds} rounds"
    last = _last_notified(page)
    page.outcome = f"nobody acknowledged after {tried}; " + (
        f"last notified: {', '.join(last)}" if last else "nobody could be notified"
    )
    reached = set(page.notices.values_list("step", flat=True))
    unreached = [
        f"{index + 1} ({step.get('name') or step['target']})"
        for index, step in enumerate(page.plan)
        if index not in reached
    ]
    if unreached and last:
        page.outcome += f"; nobody to notify at step {', '.join(unreached)}"
    page.status, page.finished_at, page.next_at = PageStatus.EXHAUSTED, now, None
    page.save(update_fields=["status", "finished_at", "next_at", "outcome", "step", "round"])
    if page.incident is not None:
        record_entry(
            incident=page.incident,
            kind=EntryKind.EVENT,
            body=f"Nobody acknowledged the page: {page.outcome}",
            actor=None,
            source=ActionSource.SYSTEM,
            data={"page": page.pk, "exhausted": True},
        )
    admins = User.objects.filter(is_active=True).exclude(email="")
    admins = admins.filter(role=Role.ADMIN) | admins.filter(is_superuser=True)
    emails = sorted({a.email for a in admins})
    if emails:
        emit(
            topic=EXHAUSTED_TOPIC,
            payload={"page": page_selectors.page_data(page)},
            staff_emails=emails,
        )


def escalations_advance(*, now: datetime | None = None, queue: Queue | None = None) -> int:
    """Run every due step of every escalating page, one step per transaction, each page's row
    locked (PostgreSQL skips pages another worker holds; SQLite queues writers). A step that
    notified nobody lets the next run at once. `queue(next_at)` is called for each step run,
    to have the next one run on time. Returns how many steps ran."""
    now = now or timezone.now()
    ran = 0
    while True:
        page = None
        try:
            with transaction.atomic():
                page = (
                    Page.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("incident", "policy")
                    .filter(status=PageStatus.OPEN, next_at__lte=now)
                    .order_by("next_at", "pk")
                    .first()
                )
                if page is None:
                    return ran
                run_step(page, now, queue=queue)
            ran += 1
        except Exception as exc:
            if page is None:
                raise
            # One page's failure (rolled back whole) must not hold up the others behind it.
            logger.exception("page %s: step %s failed; trying again later", page.pk, page.step)
            _put_off(page, now, exc)


def _put_off(page: Page, now: datetime, exc: Exception) -> None:
    """Try a step that failed again after RETRY_AFTER, saying why in the page's outcome."""
    why = f"{exc.__class__.__name__}: {exc}"[:300]
    with transaction.atomic():
        put_off = Page.objects.filter(pk=page.pk, status=PageStatus.OPEN).update(
            next_at=now + RETRY_AFTER,
            outcome=f"{_where(page)} could not run ({why}); trying again in a minute",
        )
        if put_off:  # the incident's paging panel shows the outcome (update() sends no signal)
            live.changed(page.incident_id)
