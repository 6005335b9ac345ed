"""The periodic review of improvement actions across all incidents, and its wins.

`review_report` counts the follow-up actions of every incident (with or without a postmortem)
done, pending, overdue and won't-do, grouped by owner and by incident; lists the wins ("what
went well" entries crediting an earlier action) and the participants' feedback.
`incidentdesk review` prints it; `review_digest_send` emails it to managers every Monday at
08:00 in the reporting time zone, once per week (the event names the week and the day;
`digest_email` words it when it is emitted)."""

from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from incidentdesk.accounts.models import Role, User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.checks import check_text
from incidentdesk.core.csv_export import csv_text
from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.moments import check_day
from incidentdesk.core.reporting import reporting_zone
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import ActionItem, ActionPhase, ActionStatus, EntryKind
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.notifications.outbox import emit
from incidentdesk.postmortems.models import Feedback, Postmortem, ReviewDigest, WentWell

BUCKETS = ("done", "pending", "overdue", "wont_do")
DIGEST_TOPIC = "review.digest"
DIGEST_WEEKDAY, DIGEST_HOUR = 0, 8  # Monday, 08:00 in the reporting time zone


def went_well_add(
    *, actor, source: ActionSource, postmortem: Postmortem, text: str, action_item: Any = None
) -> WentWell:
    """Note what went well. Crediting an action item (by id) of an earlier incident, whose
    mitigation reduced this one's impact, makes the entry a win in the review. The number may
    be typed as people write it: `#17`."""
    require(actor, Perm.POSTMORTEM_EDIT)
    text = check_text(text, field="text", max_length=2000, required=True)
    if isinstance(action_item, str):
        action_item = action_item.strip().lstrip("#")
    item = None
    if action_item not in (None, ""):
        try:
            item = ActionItem.objects.select_related("incident").get(pk=int(action_item))
        except (TypeError, ValueError):
            raise ValidationError("must be an action item's number", field="action_item") from None
        except ActionItem.DoesNotExist:
            raise NotFound(f"there is no action item {action_item}", field="action_item") from None
        if not can_see(actor, item.incident):  # as if missing, like the incident itself
            raise NotFound(f"there is no action item {action_item}", field="action_item")
        incident = postmortem.incident
        if item.incident_id == incident.pk or item.incident.declared_at >= incident.declared_at:
            raise ValidationError(
                "must be an action item of an earlier incident", field="action_item"
            )
    with transaction.atomic():
        entry = WentWell.objects.create(
            postmortem=postmortem, text=text, action_item=item, created_by=actor
        )
        win = "" if item is None else f" (a win for #{item.pk} of {item.incident.reference})"
        record_entry(
            incident=postmortem.incident,
            kind=EntryKind.EVENT,
            body=f"What went well noted{win}",
            actor=actor,
            source=source,
            data={"postmortem": {"went_well": entry.pk}},
        )
    return entry


def _bucket(item: ActionItem, today: date) -> str:
    if item.status == ActionStatus.DONE:
        return "done"
    if item.status == ActionStatus.WONT_DO:
        return "wont_do"
    return "overdue" if item.due_date and item.due_date < today else "pending"


RESTRICTED = "(restricted incident)"


def _hidden_item_json(item: ActionItem, bucket: str) -> dict[str, Any]:
    """An action of a restricted incident the reader may not see: counted, nothing shown."""
    return {
        **dict.fromkeys(("id", "title", "due_date", "external_url", "completed_at")),
        "incident": RESTRICTED,
        "owner": item.owner.username if item.owner else None,
        "status": item.status,
        "state": bucket,
        "wont_do_reason": "",
        "restricted": True,
    }


def _item_json(item: ActionItem, bucket: str) -> dict[str, Any]:
    return {
        "id": item.pk,
        "title": item.title,
        "incident": item.incident.reference,
        "owner": item.owner.username if item.owner else None,
        "due_date": item.due_date,
        "status": item.status,
        "state": bucket,
        "wont_do_reason": item.wont_do_reason,
        "external_url": item.external_url,
        "completed_at": item.completed_at,
    }


def _group(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = row[key] or "(no owner)"
        group = groups.setdefault(name, {key: name, **dict.fromkeys(BUCKETS, 0), "items": []})
        group[row["state"]] += 1
        group["items"].append(row)
    return [groups[name] for name in sorted(groups)]


def _since_filter(since: date | None, prefix: str = "") -> Q:
    return Q(**{f"{prefix}created_at__date__gte": since}) if since else Q()


def _feedback(since: date | None, hidden: set[int]) -> dict[str, Any]:
    rows = Feedback.objects.filter(_since_filter(since, "postmortem__"))
    figures = rows.aggregate(
        count=Count("id"), response=Avg("response_rating"), postmortem=Avg("postmortem_rating")
    )
    comments = [
        {"incident": f.postmortem.incident.reference, "user": f.user.username, "text": f.improve}
        for f in rows.exclude(improve="").select_related("postmortem__incident", "user")
        if f.postmortem.incident_id not in hidden
    ]
    return {
        "count": figures["count"],
        "response_average": round(figures["response"], 1) if figures["response"] else None,
        "postmortem_average": round(figures["postmortem"], 1) if figures["postmortem"] else None,
        "comments": comments,
    }


def _wins(since: date | None, hidden: set[int]) -> list[dict[str, Any]]:
    wins = (
        WentWell.objects.filter(_since_filter(since, "postmortem__"), action_item__isnull=False)
        .select_related("postmortem__incident", "action_item__incident")
        .order_by("created_at", "id")
    )
    found = []
    for w in wins:
        item = w.action_item
        assert item is not None  # the query keeps only wins that name an action item
        if w.postmortem.incident_id in hidden or item.incident_id in hidden:
            continue
        found.append(
            {
                "incident": w.postmortem.incident.reference,
                "text": w.text,
                "action_item": {
                    "id": item.pk,
                    "title": item.title,
                    "incident": item.incident.reference,
                },
            }
        )
    return found


def _incidents_since(since: date | None) -> Q:
    """Follow-ups of incidents whose postmortem started on or after `since`, or, for an
    incident without a postmortem, declared on or after it."""
    if not since:
        return Q()
    return Q(incident__postmortem__created_at__date__gte=since) | Q(
        incident__postmortem__isnull=True, incident__declared_at__date__gte=since
    )


def review_report(
    *, viewer=None, since: date | None = None, today: date | None = None
) -> dict[str, Any]:
    """Follow-up actions of every incident, with or without a postmortem (see
    _incidents_since for `since`), counted by state and grouped by owner and by incident,
    with the wins and the feedback. Those of restricted incidents `viewer` may not see are
    counted without any detail (None: no restricted one is shown)."""
    from incidentdesk.incidents.selectors import hidden_incident_ids

    if since is not None:
        check_day(since, field="since")
    today = today or timezone.localdate()
    hidden = hidden_incident_ids(viewer)
    items = (
        ActionItem.objects.filter(_incidents_since(since), phase=ActionPhase.FOLLOW_UP)
        .select_related("incident", "owner")
        .order_by("due_date", "id")
    )
    rows = [
        (_hidden_item_json if item.incident_id in hidden else _item_json)(
            item, _bucket(item, today)
        )
        for item in items
    ]
    totals = dict.fromkeys(BUCKETS, 0)
    for row in rows:
        totals[row["state"]] += 1
    return {
        "since": since,
        "today": today,
        "totals": totals,
        "by_owner": _group(rows, "owner"),
        "by_incident": _group(rows, "incident"),
        "wins": _wins(since, hidden),
        "feedback": _feedback(since, hidden),
    }


def _counts(group: dict[str, Any]) -> str:
    return ", ".join(f"{group[b]} {b.replace('_', ' ')}" for b in BUCKETS)


RECENT_DAYS = 7


def _item_line(row: dict[str, Any], report: dict[str, Any]) -> str:
    """One action of the listing: every open one, every won't-do with its reason, and the
    ones done in the last week (older ones are only counted). Restricted ones are counted only."""
    if row.get("restricted"):
        return ""
    if row["state"] in ("overdue", "pending"):
        due = row["due_date"].isoformat() if row["due_date"] else "no due date"
        return f"    - [{row['state']}] {row['title']} (due {due})"
    if row["state"] == "wont_do":
        return f"    - [won't do] {row['title']}: {row['wont_do_reason']}"
    done = row["completed_at"]
    if done and timezone.localdate(done) > report["today"] - timedelta(days=RECENT_DAYS):
        return f"    - [done] {row['title']} (done {timezone.localdate(done).isoformat()})"
    return ""


CSV_COLUMNS = (
    "incident",
    "id",
    "title",
    "owner",
    "state",
    "status",
    "due_date",
    "completed_at",
    "wont_do_reason",
    "external_url",
)


def review_csv(report: dict[str, Any]) -> str:
    """The report's follow-ups as CSV, one row each, by incident (restricted ones counted as
    rows with no detail), written by core.csv_export so no cell runs as a formula."""
    rows = [item for group in report["by_incident"] for item in group["items"]]

    def cell(value):
        return value.isoformat() if isinstance(value, date | datetime) else value

    return csv_text([CSV_COLUMNS, *([cell(row.get(c)) for c in CSV_COLUMNS] for row in rows)])


def review_text(report: dict[str, Any]) -> str:
    """The report as plain text: the CLI's output and the digest's body."""
    since = f" since {report['since'].isoformat()}" if report["since"] else ""
    lines = [f"Improvement actions{since} (as of {report['today'].isoformat()})", ""]
    lines.append(f"Total: {_counts(report['totals'])}")
    for title, key in (("By owner", "owner"), ("By incident", "incident")):
        lines += ["", title]
        for group in report[f"by_{key}"]:
            lines.append(f"  {group[key]}: {_counts(group)}")
            lines += [line for row in group["items"] if (line := _item_line(row, report))]
        if not report[f"by_{key}"]:
            lines.append("  none")
    lines += ["", "Wins"]
    for win in report["wins"]:
        item = win["action_item"]
        lines.append(
            f"  {win['incident']}: {win['text']} (thanks to “{item['title']}” from "
            f"{item['incident']})"
        )
    if not report["wins"]:
        lines.append("  none")
    feedback = report["feedback"]
    lines += ["", f"Feedback ({feedback['count']} answers)"]
    if feedback["count"]:
        lines.append(f"  Response: {feedback['response_average']} / 5")
        lines.append(f"  Postmortem: {feedback['postmortem_average']} / 5")
        for comment in feedback["comments"]:
            lines.append(f"  {comment['incident']} ({comment['user']}): {comment['text']}")
    return "\n".join(lines) + "\n"


def manager_emails() -> list[str]:
    """Active managers and admins with an email address."""
    users = User.objects.filter(is_active=True).exclude(email="")
    users = users.filter(Q(role__in=[Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True))
    return sorted({email.lower() for email in users.values_list("email", flat=True)})


def digest_email(data: dict) -> dict[str, str]:
    """The digest of `week`: the review as of `today` in the text `incidentdesk review` prints,
    one text for every manager (restricted incidents are counted, never described)."""
    report = review_report(viewer=None, today=date.fromisoformat(data["today"]))
    subject = render_to_string("postmortems/email/review_digest_subject.txt", data)
    return {"subject": subject.strip(), "text": review_text(report)}


def digest_due(now: datetime) -> bool:
    """Whether `now` is in the digest's hour (Monday 08:00-08:59, reporting time zone)."""
    local = now.astimezone(reporting_zone())
    return local.weekday() == DIGEST_WEEKDAY and local.hour == DIGEST_HOUR


def review_digest_send(*, now: datetime | None = None, force: bool = False) -> bool:
    """Email the review to managers, once per ISO week. Runs hourly; sends in the Monday 08:00
    hour of the reporting time zone (or whenever `force`). Returns whether it was sent."""
    now = now or timezone.now()
    if not force and not digest_due(now):
        return False
    local = now.astimezone(reporting_zone())
    year, week, _ = local.isocalendar()
    recipients = manager_emails()
    if not recipients:
        return False
    try:
        with transaction.atomic():
            ReviewDigest.objects.create(week=f"{year}-W{week:02d}", sent_at=now)
            emit(
                topic=DIGEST_TOPIC,
                payload={"week": f"{year}-W{week:02d}", "today": local.date().isoformat()},
                staff_emails=recipients,
            )
    except IntegrityError:  # this week's digest was already sent
        return False
    return True
