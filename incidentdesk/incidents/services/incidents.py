"""Declaring incidents, changing their fields and moving them through their lifecycle."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core import checks
from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import rules
from incidentdesk.incidents.models import (
    Criterion,
    Detection,
    EntryKind,
    Incident,
    IncidentKind,
    IncidentRole,
    IncidentStatus,
    ReferenceCounter,
    ReportMedium,
    RoleAssignment,
)
from incidentdesk.incidents.notices import desk_announcement_payload, desk_announcement_recipients
from incidentdesk.incidents.services.access import restriction_rule
from incidentdesk.incidents.services.catalog import component_lookup, severity_lookup
from incidentdesk.incidents.services.desk import desk_tell_change
from incidentdesk.incidents.services.roles import role_assign
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.notifications.outbox import emit

TEXT_LIMITS = {
    "title": 200,
    "summary": 10_000,
    "impact": 10_000,
    "criteria_reason": 2_000,
    "users_affected_description": 500,
    "reported_by": 200,
}
URL_FIELDS = ("cause_change_url", "tracker_url", "call_url", "chat_url")
CHOICE_FIELDS = {"detection": Detection, "report_medium": ReportMedium}


def _clean_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise incident fields given by any adapter."""
    clean: dict[str, Any] = {}
    for field, value in changes.items():
        if field in TEXT_LIMITS:
            if value is not None and not isinstance(value, str):
                raise ValidationError("must be text", field=field)
            clean[field] = checks.check_text(
                value, field=field, max_length=TEXT_LIMITS[field], required=field == "title"
            )
        elif field in URL_FIELDS:
            clean[field] = checks.check_link_url(value, field)
        elif field == "fix_change_urls":
            if not isinstance(value, list | tuple):
                raise ValidationError("must be a list of URLs", field=field)
            clean[field] = [checks.check_link_url(v, field) for v in value if v]
        elif field in CHOICE_FIELDS:
            value = (value or "").strip().lower()
            if value and value not in CHOICE_FIELDS[field].values:
                options = ", ".join(CHOICE_FIELDS[field].values)
                raise ValidationError(f"unknown value {value!r}; use one of {options}", field=field)
            clean[field] = value
        elif field == "severity":
            clean[field] = severity_lookup(value)
        elif field in ("security", "restricted"):
            if not isinstance(value, bool):
                raise ValidationError("must be true or false", field=field)
            clean[field] = value
        elif field == "users_affected_count":
            clean[field] = None if value is None else checks.check_whole_number(value, field=field)
        elif field == "components":
            if not isinstance(value, list | tuple):
                raise ValidationError("must be a list of component names or ids", field=field)
            clean[field] = list({c.pk: c for c in (component_lookup(v) for v in value)}.values())
        elif field == "criteria":
            if not isinstance(value, list | tuple):
                raise ValidationError("must be a list", field=field)
            clean[field] = list(value)
        elif field in rules.TIMESTAMP_FIELDS:
            if value is not None and not isinstance(value, datetime):
                raise ValidationError("must be a date and time", field=field)
            clean[field] = value
        else:
            raise ValidationError("is not a field that can be changed here", field=field)
    return clean


def _allocate_reference(year: int) -> tuple[int, str]:
    """The next number in `year`. The counter row is locked by its write until commit, so
    concurrent declarations queue for it and never share a number. One statement where the
    database can return what it wrote (SQLite 3.35+, PostgreSQL), three where it cannot."""
    if connection.features.can_return_columns_from_insert:
        table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) ON CONFLICT (year) "
                f"DO UPDATE SET last_number = {table}.last_number + 1 RETURNING last_number",
                [year],
            )
            (number,) = cursor.fetchone()
    else:
        ReferenceCounter.objects.bulk_create(
            [ReferenceCounter(year=year, last_number=0)], ignore_conflicts=True
        )
        ReferenceCounter.objects.filter(year=year).update(last_number=F("last_number") + 1)
        number = ReferenceCounter.objects.values_list("last_number", flat=True).get(year=year)
    return number, f"INC-{year}-{number:04d}"


def incident_declare(
    *,
    actor,
    source: ActionSource,
    title: str,
    severity: str,
    kind: str = IncidentKind.LIVE,
    criteria: list[str] | None = None,
    criteria_reason: str = "",
    lead: bool = False,
    **fields: Any,
) -> Incident:
    """Declare an incident and give it the next `INC-<year>-<nnnn>` reference.

    A live incident starts `investigating`, detected now unless told otherwise. A retrospective
    one is reported afterwards: it is created `resolved` and needs its start and resolution
    times. The declarer becomes the reporter, and with `lead` the lead too, in the same
    transaction (role_assign: its timeline entry follows the declaration's; the desk hears of
    the lead in the announcement, not in a separate change notice). After commit the
    responders desk is told.
    """
    require(actor, Perm.INCIDENT_DECLARE)
    if not isinstance(lead, bool):
        raise ValidationError("must be true or false", field="lead")
    if kind not in IncidentKind.values:
        raise ValidationError(f"unknown kind {kind!r}; use live or retrospective", field="kind")
    clean = _clean_changes({"title": title, "severity": severity, **fields})
    restriction_rule(clean, fields)
    clean["criteria"] = rules.check_criteria(criteria or [], criteria_reason, Criterion.values)
    clean["criteria_reason"] = checks.check_text(
        criteria_reason, field="criteria_reason", max_length=TEXT_LIMITS["criteria_reason"]
    )
    components = clean.pop("components", [])
    now = timezone.now()
    clean.setdefault("declared_at", now)
    clean["declared_at"] = clean["declared_at"] or now
    if kind == IncidentKind.RETROSPECTIVE:
        for needed in ("started_at", "resolved_at"):
            if clean.get(needed) is None:
                raise ValidationError("a retrospective incident needs this time", field=needed)
        clean["status"] = IncidentStatus.RESOLVED
        clean.setdefault("detected_at", clean["started_at"])
        clean["detected_at"] = clean["detected_at"] or clean["started_at"]
    else:
        if clean.get("resolved_at") or clean.get("closed_at"):
            raise ValidationError(
                "a live incident is resolved later, not when declared", field="resolved_at"
            )
        clean["detected_at"] = clean.get("detected_at") or now
    rules.check_timestamp_order({k: clean.get(k) for k in rules.TIMESTAMP_FIELDS}, now)

    with transaction.atomic():
        year = timezone.localtime(clean["declared_at"]).year
        number, reference = _allocate_reference(year)
        incident = Incident.objects.create(
            reference=reference, year=year, number=number, kind=kind, created_by=actor, **clean
        )
        if components:
            incident.components.set(components)
        reporter = RoleAssignment.objects.create(
            incident=incident,
            role=IncidentRole.REPORTER,
            user=actor,
            assigned_by=actor,
            started_at=now,
        )
        # What the new incident has besides its row is known without reading it back: its
        # one role holder, no desk seats, and (when none were given) no components.
        incident.current_roles = [reporter]
        incident.open_desk_seats = []
        if not components:
            incident.component_names = []
        what = "Reported after the fact" if kind == IncidentKind.RETROSPECTIVE else "Declared"
        record_entry(
            incident=incident,
            kind=EntryKind.EVENT,
            body=(
                f"{what} by {actor.display_name}: {incident.title}"
                f" ({incident.severity.name}, {incident.status})"
            ),
            actor=actor,
            source=source,
            data={
                "event": "declared",
                "severity": incident.severity.key,
                "status": incident.status,
            },
            occurred_at=incident.declared_at,
        )
        if lead:
            led = role_assign(
                actor=actor,
                source=source,
                incident=incident,
                role=IncidentRole.LEAD,
                user=actor,
                tell_desk=False,
            )
            incident.refresh_from_db(fields=["acknowledged_at", "updated_at"])
            incident.current_roles = [reporter, led]
        # Retrospective incidents too: the desk learns from them (the words say so).
        emit(
            topic="incident.declared",
            payload=desk_announcement_payload(incident),
            staff_emails=desk_announcement_recipients(incident),
        )
    return incident


def _describe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "key"):
        return value.key
    if isinstance(value, list) and value and hasattr(value[0], "name"):
        return sorted(v.name for v in value)
    return value


def incident_update(
    *, actor, source: ActionSource, incident: Incident, changes: Mapping[str, Any]
) -> Incident:
    """Change an incident's fields. Every changed field is recorded on the timeline with its
    old and new value; corrected timestamps are validated in order against the others.
    Status has its own use case (`incident_set_status`)."""
    require(actor, Perm.INCIDENT_UPDATE)
    if "status" in changes:
        raise ValidationError(
            "change the status with a status change, not a field edit", field="status"
        )
    if incident.status == IncidentStatus.CLOSED:
        raise InvalidTransition("a closed incident cannot be changed", field="status")
    clean = _clean_changes(changes)
    restriction_rule(clean, changes, incident)
    if "criteria" in clean or "criteria_reason" in clean:
        reason = clean.get("criteria_reason", incident.criteria_reason)
        clean["criteria"] = rules.check_criteria(
            clean.get("criteria", incident.criteria), reason, Criterion.values
        )
    if "declared_at" in clean and clean["declared_at"] is None:
        raise ValidationError("cannot be removed", field="declared_at")
    stamps = {k: clean.get(k, getattr(incident, k)) for k in rules.TIMESTAMP_FIELDS}
    rules.check_timestamp_order(stamps, timezone.now())

    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("severity")
            .get(pk=incident.pk)
        )
        changed: dict[str, tuple[Any, Any]] = {}
        for field, new in clean.items():
            if field == "components":
                old = list(incident.components.all())
                if {c.pk for c in old} != {c.pk for c in new}:
                    incident.components.set(new)
                    changed[field] = (old, new)
                continue
            old = getattr(incident, field)
            if old != new:
                setattr(incident, field, new)
                changed[field] = (old, new)
        if not changed:
            return incident
        # Only the changed columns (components are a table of their own): a whole-row UPDATE
        # of some forty columns costs more to build than the rest of the write.
        columns = [field for field in changed if field != "components"]
        incident.save(update_fields=[*columns, "updated_at"])
        diff = {field: [_describe(old), _describe(new)] for field, (old, new) in changed.items()}
        lines = [
            f"{field.replace('_', ' ')}: {_readable(old)} → {_readable(new)}"
            for field, (old, new) in changed.items()
        ]
        record_entry(
            incident=incident,
            kind=EntryKind.FIELD_CHANGE,
            body="Changed " + "; ".join(lines),
            actor=actor,
            source=source,
            data={"changes": diff},
        )
        if "severity" in changed:
            old_level, new_level = changed["severity"]
            desk_tell_change(
                incident=incident,
                actor=actor,
                field="severity",
                old=old_level.name,
                new=new_level.name,
            )
    return incident


def _readable(value: Any) -> str:
    """A value as a person reads it on the timeline (the entry's data keeps it exactly)."""
    if value in (None, "", []):
        return "(empty)"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")
    if isinstance(value, list):
        text = ", ".join(str(getattr(v, "name", v)) for v in value)
    else:
        text = str(getattr(value, "name", value))
    return text if len(text) <= 80 else text[:77] + "…"
