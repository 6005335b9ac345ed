"""Alert use cases: integrations (admins manage them) and the intake of alerts.

The intake has no user: the integration whose key was presented is the actor, and it may
write only while it is live (not revoked). Its changes come from `ActionSource.ALERT`.
"""

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.accounts.services import token_digest
from incidentdesk.alerts import hooks, paging, rows
from incidentdesk.alerts.models import (
    AlertGroup,
    GroupStatus,
    Integration,
    IntegrationKind,
)
from incidentdesk.alerts.sources.base import AlertInput
from incidentdesk.core.errors import NotFound, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.incidents import live
from incidentdesk.incidents.models import EntryKind
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.services.timeline import record_entry

KEY_LENGTH = 32  # hex characters, as long as a PagerDuty integration key
KEY_ID_LENGTH = 8  # the key's public part, shown in listings
SOURCE = ActionSource.ALERT
PAGERDUTY_PATH = "/v2/enqueue"  # one endpoint; the sender puts the key in `routing_key`


def intake_url(integration: Integration, key: str) -> str:
    """Where the integration's source sends: `/alerts/in/<key>`, or PagerDuty's one endpoint
    (the key then travels as the event's `routing_key`); "" for email, which comes in by the
    mail gateway command, not over HTTP."""
    base = settings.BASE_URL.rstrip("/")
    if integration.kind == IntegrationKind.EMAIL:
        return ""
    if integration.kind == IntegrationKind.PAGERDUTY:
        return base + PAGERDUTY_PATH
    return f"{base}/alerts/in/{key}"


def integration_create(
    *, actor: User, source: ActionSource, kind: str, name: str, signed: bool = False
) -> tuple[Integration, str]:
    """Create an integration and return it with its key, which is never stored (only its
    first characters and its digest are) and so is shown this once. Admins only. `signed`
    (Grafana only) makes the intake require Grafana's HMAC signature."""
    require(actor, Perm.INTEGRATION_MANAGE)
    if kind not in IntegrationKind.values:
        choices = ", ".join(IntegrationKind.values)
        raise ValidationError(f"unknown kind {kind!r}; use one of {choices}", field="kind")
    name = refuse_unsafe_characters((name or "").strip(), field="name")
    if not name or len(name) > 100:
        raise ValidationError("give the integration a name of 1 to 100 characters", field="name")
    if signed and kind != IntegrationKind.GRAFANA:
        raise ValidationError("only a grafana integration can be signed", field="signed")
    with transaction.atomic():
        for _ in range(5):
            key = secrets.token_hex(KEY_LENGTH // 2)
            if not Integration.objects.filter(key_id=key[:KEY_ID_LENGTH]).exists():
                break
        integration = Integration.objects.create(
            kind=kind,
            name=name,
            key_id=key[:KEY_ID_LENGTH],
            digest=token_digest(key),
            signed=signed,
            created_by=actor,
        )
    return integration, key


def integration_revoke(*, actor: User, source: ActionSource, integration_id: int) -> Integration:
    """Revoke an integration: its key finds nothing from now on. Admins only; revoking twice
    is harmless. Its groups and alerts stay."""
    require(actor, Perm.INTEGRATION_MANAGE)
    integration = Integration.objects.filter(pk=integration_id).first()
    if integration is None:
        raise NotFound(f"no integration with id {integration_id}", field="integration")
    if integration.revoked_at is None:
        integration.revoked_at = timezone.now()
        integration.save(update_fields=["revoked_at"])
    return integration


def integration_for_key(key: str) -> Integration | None:
    """The live integration whose key this is; None for a wrong, malformed or revoked key.
    Looked up by the key's public part, then its digest compared in constant time."""
    if not isinstance(key, str) or len(key) != KEY_LENGTH or not key.isascii():
        return None
    integration = rows.live_integration(key[:KEY_ID_LENGTH])
    if integration is None or not hmac.compare_digest(integration.digest, token_digest(key)):
        return None
    return integration


@dataclass
class Received:
    """What one intake did, group by group (each group in one list)."""

    opened: list[AlertGroup] = field(default_factory=list)  # new groups
    reopened: list[AlertGroup] = field(default_factory=list)  # flapping: resolved, firing again
    updated: list[AlertGroup] = field(default_factory=list)  # groups that grew or changed
    resolved: list[AlertGroup] = field(default_factory=list)  # groups this intake resolved
    ignored: int = 0  # resolved alerts of groups never seen: nothing to resolve, nothing stored


@dataclass
class _Touched:
    group: AlertGroup
    how: str  # open, opened, reopened, late (as _open_group found it the first time)
    status_before: str


def alerts_receive(
    *, integration: Integration, alerts: list[AlertInput], received_at: datetime | None = None
) -> Received:
    """Record what a source sent, de-duplicated, in one transaction.

    Per alert: the open group of its group key takes it (one is opened when there is none,
    and two intakes racing to open it end with one); a firing alert whose group was resolved
    less than ALERT_FLAP_WINDOW_SECONDS ago re-opens that group; a resolved alert of no open
    group changes nothing. The alert is kept once per key: a repeat counts and takes the new
    status. A group is resolved once all its alerts are; an acknowledged alert acknowledges
    it. Groups opened or re-opened are passed to `hooks.after_groups_opened` after commit,
    groups this intake resolved to `hooks.after_groups_resolved`."""
    if integration.revoked_at is not None:
        raise PermissionDenied("this integration is revoked")
    now = received_at or timezone.now()
    for index, alert in enumerate(alerts):
        _check(alert, index)
    touched: dict[int, _Touched] = {}
    ignored = 0
    # A steady order, so two intakes of the same groups lock them in the same order; each
    # group is locked, written and counted once per intake, however many alerts it has.
    by_group: dict[str, list[AlertInput]] = {}
    for alert in sorted(alerts, key=lambda a: (a.group_key, a.key)):
        by_group.setdefault(alert.group_key, []).append(alert)
    # Worked out before the transaction, which on SQLite holds the write lock.
    prepared = {key: (token_digest(key), rows.incoming(batch)) for key, batch in by_group.items()}
    with transaction.atomic():
        for group_key, batch in by_group.items():
            # A group opens for its first alert that is not resolved (a resolved alert of a
            # group never seen has nothing to resolve).
            opener = next((a for a in batch if a.status != GroupStatus.RESOLVED), batch[0])
            digest, incoming = prepared[group_key]
            group, how = _open_group(integration, opener, digest, batch, incoming, now)
            if group is None:
                ignored += len(batch)
                continue
            touched[group.pk] = _Touched(group, how, group.status)
            statuses = _upsert_alerts(group, incoming, now, fresh=how == "opened")
            if how != "opened":  # an opened group was stored with its counts
                _refresh_group(group, batch, statuses, now)
        result = _result(touched.values(), ignored)
        opened = [*result.opened, *result.reopened]
        if opened:
            transaction.on_commit(lambda: _after(hooks.after_groups_opened, opened))
        if result.resolved:
            resolved = list(result.resolved)
            transaction.on_commit(lambda: _after(hooks.after_groups_resolved, resolved))
    return result


def _after(hook_list, groups: list[AlertGroup]) -> None:
    for hook in hook_list:
        hook(groups)


def _check(alert: AlertInput, index: int) -> None:
    where = f"alerts[{index}]"
    if not alert.key or len(alert.key) > 255:
        raise ValidationError("the key must be 1 to 255 characters", field=f"{where}.key")
    if not alert.group_key:
        raise ValidationError("the group key is empty", field=f"{where}.group_key")
    if alert.status not in GroupStatus.values:
        raise ValidationError(f"unknown status {alert.status!r}", field=f"{where}.status")


def _result(touched, ignored: int) -> Received:
    result = Received(ignored=ignored)
    for one in touched:
        if one.how == "opened":
            result.opened.append(one.group)
        elif one.how == "reopened":
            result.reopened.append(one.group)
        elif one.group.status == GroupStatus.RESOLVED != one.status_before:
            result.resolved.append(one.group)
        else:
            result.updated.append(one.group)
    return result


def _open_group(
    integration, alert: AlertInput, digest: str, batch, incoming: list[rows.Incoming], now
):
    """The group this alert joins, locked, and how it was found: (group, "open"|"opened"|
    "reopened"|"late"), or (None, "") for a resolved alert of a group never seen. A group
    opened for `batch` (whose alerts are `incoming`) is stored with their counts."""
    window = timedelta(seconds=settings.ALERT_FLAP_WINDOW_SECONDS)
    group, recent, routes = rows.group_to_join(integration.pk, digest, resolved_since=now - window)
    if group is not None and group.status != GroupStatus.RESOLVED:
        return group, "open"
    if alert.status == GroupStatus.RESOLVED:
        # A late resolve joins the group it ends; it never opens one.
        return (group, "late") if group is not None else (None, "")
    # A group no route could meet is routed here and now (routing would only mark it so),
    # sparing the queue and the worker most groups of a storm.
    routed_at = None if routes else now
    if group is not None and recent:
        try:
            with transaction.atomic():
                rows.group_reopen(group, routed_at)
            return group, "reopened"
        except IntegrityError:
            pass  # another intake opened a group of this key meanwhile
    else:
        opened = AlertGroup(
            integration_id=integration.pk,
            group_key=alert.group_key,
            group_digest=digest,
            summary=alert.summary[:500],
            severity=alert.severity[:32],
            labels=alert.labels,
            first_seen_at=now,
            routed_at=routed_at,
        )
        _settle(opened, batch, [a.status for a in incoming], now)
        if rows.group_insert(opened):
            return opened, "opened"
    # Another intake opened it first (two Alertmanagers in HA): join that one.
    return rows.open_group_locked(integration.pk, digest), "open"


def _upsert_alerts(
    group: AlertGroup, incoming: list[rows.Incoming], now, *, fresh: bool
) -> list[str]:
    """Keep each alert once per key in its group; a repeat counts and takes what is new. The
    group row is locked, so no other intake writes this group's alerts meanwhile: one read,
    then one statement for the new alerts, one per number of repeats for the unchanged ones,
    and one for those whose content changed (`fresh`: the group was just opened, so it has
    none yet). Returns the statuses of all its alerts."""
    existing = {} if fresh else rows.alerts_of(group.pk)
    statuses = {key: status for key, (_, _, status) in existing.items()}
    new, changed = [], []
    only_counted: dict[int, list[int]] = {}
    for alert in incoming:
        statuses[alert.key] = alert.status
        found = existing.get(alert.key)
        if found is None:
            new.append(alert)
        elif found[1] == alert.digest:  # the usual resend: it only counts
            only_counted.setdefault(alert.repeats, []).append(found[0])
        else:
            changed.append((found[0], alert))
    if new:
        rows.alerts_insert(group.pk, new, now)
    if changed:
        rows.alerts_rewrite(changed, now)
    for repeat, ids in only_counted.items():
        rows.alerts_count(ids, repeat, now)
    return list(statuses.values())


def _refresh_group(group: AlertGroup, batch: list[AlertInput], statuses: list[str], now) -> None:
    """Settle the group (`_settle`) and write it."""
    _settle(group, batch, statuses, now)
    rows.group_save_counts(group)
    # Its incident's open pages show the group's alerts (rows write no model signals).
    live.changed(group.incident_id)


def _settle(group: AlertGroup, batch: list[AlertInput], statuses: list[str], now) -> None:
    """The group's counts and status from its alerts' `statuses`, after `batch` came in:
    resolved once all are; acknowledged by an acknowledged alert (and it stays so while it
    is open)."""
    group.alert_count = len(statuses)
    group.last_seen_at = now
    if not group.summary:
        group.summary = next((a.summary for a in batch if a.summary), "")[:500]
    severity = next((a.severity for a in reversed(batch) if a.severity), "")
    if severity:
        group.severity = severity[:32]
    acknowledged = any(a.status == GroupStatus.ACKNOWLEDGED for a in batch)
    if all(status == GroupStatus.RESOLVED for status in statuses):
        if group.status != GroupStatus.RESOLVED:
            group.status = GroupStatus.RESOLVED
            group.resolved_at = now
    elif acknowledged and group.status == GroupStatus.FIRING:
        group.status = GroupStatus.ACKNOWLEDGED


# Groups by hand ------------------------------------------------------------------------------


def _group_for_change(actor: User, group_id: int) -> AlertGroup:
    """The group, locked, if `actor` may act on it: responders, and only on a group whose
    incident they can see (a restricted incident's group does not exist for the others)."""
    require(actor, Perm.INCIDENT_DECLARE)
    group = (
        AlertGroup.objects.select_for_update(of=("self",))
        .select_related("integration", "incident")
        .filter(pk=group_id)
        .first()
    )
    if group is None or (group.incident is not None and not can_see(actor, group.incident)):
        raise NotFound(f"no alert group with id {group_id}", field="group")
    return group


def _group_entry(group: AlertGroup, actor: User, source: ActionSource, what: str) -> None:
    if group.incident is None:
        return
    record_entry(
        incident=group.incident,
        kind=EntryKind.ALERT,
        body=f"Alert group {group.summary or group.group_key} {what} by {actor.display_name}",
        actor=actor,
        source=source,
        data={"alert_group": group.pk, "event": f"group_{what}"},
    )


def group_acknowledge(*, actor: User, source: ActionSource, group_id: int) -> AlertGroup:
    """Acknowledge a firing group by hand: someone is on it. Responders; a resolved group is
    refused naming `group`. The pages sent for it that still wait are acknowledged too, so
    their escalation stops (and their incident is acknowledged); the group's incident's
    timeline says who acknowledged it. Acknowledging twice changes nothing more. Later alerts
    keep the group acknowledged while it is open."""
    with transaction.atomic():
        group = _group_for_change(actor, group_id)
        if group.status == GroupStatus.RESOLVED:
            raise ValidationError("the group is resolved; nothing to acknowledge", field="group")
        if group.status != GroupStatus.ACKNOWLEDGED:
            group.status = GroupStatus.ACKNOWLEDGED
            group.save(update_fields=["status"])
            _group_entry(group, actor, source, "acknowledged")
        # Also when the sender acknowledged it already: a page may still be escalating.
        paging.acknowledge_pages(group, actor, source)
    return group


def group_resolve(*, actor: User, source: ActionSource, group_id: int) -> AlertGroup:
    """Resolve a group by hand, with its alerts (for a sender that never sends a resolve).
    Responders; resolving twice changes nothing. The pages sent for it that still wait are
    cancelled: nobody needs to answer. Its incident stays as it is: resolving it is the
    response's decision. An alert that fires again within the flap window re-opens the group,
    as a flapping alert does (it is not paged for again); later, it opens a new group."""
    with transaction.atomic():
        group = _group_for_change(actor, group_id)
        if group.status == GroupStatus.RESOLVED:
            return group
        now = timezone.now()
        # The content changes by hand: its digest is dropped, so the next intake rewrites it.
        group.alerts.exclude(status=GroupStatus.RESOLVED).update(
            status=GroupStatus.RESOLVED, content_digest=""
        )
        group.alerts.filter(ends_at__isnull=True).update(ends_at=now, content_digest="")
        group.status = GroupStatus.RESOLVED
        group.resolved_at = now
        group.save(update_fields=["status", "resolved_at"])
        _group_entry(group, actor, source, "resolved")
        paging.cancel_pages(group, actor, source, "the alert group was resolved")
    return group
