"""The intake's reads and writes of integrations, groups and alerts, as plain SQL statements.

The intake is the hot path of alerting: during an outage every monitoring system sends at
once (bench/alerts.py: 16 senders, an ingest p99 target of 100 ms). Building a statement
through the ORM costs about half a millisecond of CPU, ten to twenty times what the database
takes to run it, and on SQLite that time is spent holding the write lock every other writer
waits for. So the few statements a message needs are written here once, with Django's own
adapters for the values (`connection.ops`), and run as they are on SQLite and PostgreSQL.

Nothing here checks anything or decides anything: `services.alerts_receive` and
`routes.route_group` (which every opened group goes through) do. Rows written here send no
model signals: the callers move the live version of a group's incident themselves
(`incidents.live.changed`).
"""

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.db.models import DateTimeField, JSONField, Model

from incidentdesk.alerts.models import Alert, AlertGroup, GroupStatus, Integration, Route
from incidentdesk.alerts.sources.base import AlertInput

# Rows per multi-row INSERT: far under both databases' limit on bound values (15 a row).
INSERT_CHUNK = 500

# The columns of the intake's tables that hold JSON.
JSON_COLUMNS = ("labels", "annotations", "details")

# What a group look-up reads; the group's other fields load if something asks for them.
GROUP_COLUMNS: tuple[str, ...] = ("id", "integration_id", "group_key", "status", "summary")
GROUP_COLUMNS += ("severity", "resolved_at", "alert_count", "incident_id")


def _table(model: type[Model]) -> str:
    return _quoted(connection.vendor, (model._meta.db_table,))


def _when(value: datetime | None):
    """A time as the database stores it (SQLite: naive UTC text)."""
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


def _columns(names) -> str:
    return _quoted(connection.vendor, tuple(names))


@functools.cache
def _quoted(vendor: str, names: tuple[str, ...]) -> str:
    """The names quoted for the database (`vendor` keys the cache), comma-separated."""
    return ", ".join(connection.ops.quote_name(n) for n in names)


def _adapted(name: str, value, ops):
    """A value of column `name` as the database takes it (JSON columns, times); `ops`:
    `connection.ops`, looked up once per statement."""
    if name in JSON_COLUMNS:
        return ops.adapt_json_value(value, None)
    if name.endswith("_at") and value is not None:
        return ops.adapt_datetimefield_value(value)
    return value


def _loaded(model: type[Model], names: Sequence[str], row: Sequence) -> Model:
    """An instance of `model` from a row of the columns `names` (attribute names), values
    converted as the ORM would; the fields not read are deferred."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    values = {}
    for name, value in zip(names, row, strict=True):
        if value is not None:
            field = fields[name]
            if isinstance(field, DateTimeField) and value.tzinfo is None:
                value = value.replace(tzinfo=UTC)  # SQLite gives back naive UTC
            elif isinstance(field, JSONField) and isinstance(value, str):
                value = json.loads(value)
        values[name] = value
    return _instance(model, values)


def _instance(model: type[Model], values: dict) -> Model:
    """`model.from_db` of these attribute values (it wants them in the model's field order)."""
    fields = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, fields, [values[name] for name in fields])


# Integrations --------------------------------------------------------------------------------

INTEGRATION_COLUMNS = tuple(f.attname for f in Integration._meta.concrete_fields)


def live_integration(key_id: str) -> Integration | None:
    """The integration that is not revoked whose key starts with `key_id`, or None."""
    columns = _columns(INTEGRATION_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {_table(Integration)} WHERE key_id = %s AND revoked_at IS NULL",
            [key_id],
        )
        row = cursor.fetchone()
    return None if row is None else _loaded(Integration, INTEGRATION_COLUMNS, row)  # type: ignore[return-value]


# Groups --------------------------------------------------------------------------------------


def group_to_join(integration_id: int, digest: str, *, resolved_since: datetime):
    """The group of this key an alert would join, locked until the transaction ends: the open
    one, else the last resolved; and whether any route is tried for the integration's groups
    (its own, or one of all), asked in the same statement. Returns (group or None, whether
    that resolved group resolved after `resolved_since`, whether routes exist)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    columns = _columns(GROUP_COLUMNS)
    resolved = connection.ops.quote_name("resolved_at")
    with connection.cursor() as cursor:
        cursor.execute(
            # One row whether or not a group exists: the routes' answer, then the group's
            # columns (NULL when there is none).
            "SELECT routes.found, g.* FROM (SELECT CASE WHEN EXISTS (SELECT 1 FROM "
            f"{_table(Route)} WHERE integration_id IS NULL OR integration_id = %s) "
            "THEN 1 ELSE 0 END AS found) routes LEFT JOIN ("
            f"SELECT {columns}, CASE WHEN {resolved} > %s THEN 1 ELSE 0 END AS recent "
            f"FROM {_table(AlertGroup)} WHERE integration_id = %s AND group_digest = %s "
            f"ORDER BY CASE WHEN status = %s THEN 1 ELSE 0 END, {resolved} DESC, id DESC "
            f"LIMIT 1{lock}) g ON 1 = 1",
            [integration_id, _when(resolved_since), integration_id, digest, GroupStatus.RESOLVED],
        )
        row = cursor.fetchone()
    routes, recent, columns_row = bool(row[0]), bool(row[-1]), row[1:-1]
    if columns_row[0] is None:
        return None, False, routes
    return _loaded(AlertGroup, GROUP_COLUMNS, columns_row), recent, routes


def open_group_locked(integration_id: int, digest: str) -> AlertGroup:
    """The open group of this key, locked (another intake has just opened it)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_columns(GROUP_COLUMNS)} FROM {_table(AlertGroup)} "
            f"WHERE integration_id = %s AND group_digest = %s AND status <> %s{lock}",
            [integration_id, digest, GroupStatus.RESOLVED],
        )
        row = cursor.fetchone()
    if row is None:
        raise AlertGroup.DoesNotExist(f"no open group of digest {digest}")
    return _loaded(AlertGroup, GROUP_COLUMNS, row)  # type: ignore[return-value]


def group_reopen(group: AlertGroup, routed_at: datetime | None) -> None:
    """Make a resolved group firing again (IntegrityError when another group of its key is
    open), to be routed again (`routed_at` None) or routed already."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(AlertGroup)} SET status = %s, resolved_at = NULL, routed_at = %s "
            "WHERE id = %s",
            [GroupStatus.FIRING, _when(routed_at), group.pk],
        )
    group.status, group.resolved_at, group.routed_at = GroupStatus.FIRING, None, routed_at


# What opening a group writes (the rest starts empty).
GROUP_OPENING: tuple[str, ...] = (
    "integration_id",
    "group_key",
    "group_digest",
    "status",
    "summary",
    "severity",
)
GROUP_OPENING += ("labels", "first_seen_at", "last_seen_at", "alert_count", "routed_at")


def group_insert(group: AlertGroup) -> bool:
    """Store the new `group` (its id set); False when a group of its key is open already
    (another intake opened it meanwhile: two Alertmanagers in HA), which stays as it is."""
    ops = connection.ops
    stored = [_adapted(n, getattr(group, n), ops) for n in GROUP_OPENING]
    status = ops.quote_name("status")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(AlertGroup)} ({_columns(GROUP_OPENING)}) "
            f"VALUES ({', '.join(['%s'] * len(GROUP_OPENING))}) "
            # The predicate of the partial unique index alerts_one_open_group_per_key.
            f"ON CONFLICT (integration_id, group_digest) WHERE NOT ({status} = 'resolved') "
            "DO NOTHING RETURNING id",
            stored,
        )
        row = cursor.fetchone()
    if row is None:
        return False
    group.pk = row[0]
    group._state.adding, group._state.db = False, connection.alias
    return True


def group_claim_routing(group_id: int, now: datetime) -> tuple[int, int | None] | None:
    """Mark the group routed at `now` unless it was already, locking its row: its
    (integration id, incident id), or None when it was routed already (or is gone)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(AlertGroup)} SET routed_at = %s "
            "WHERE id = %s AND routed_at IS NULL RETURNING integration_id, incident_id",
            [_when(now), group_id],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1])


def group_save_counts(group: AlertGroup) -> None:
    """Write what `services` worked out of the group's alerts."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(AlertGroup)} SET alert_count = %s, last_seen_at = %s, summary = %s, "
            "severity = %s, status = %s, resolved_at = %s WHERE id = %s",
            [
                group.alert_count,
                _when(group.last_seen_at),
                group.summary,
                group.severity,
                group.status,
                _when(group.resolved_at),
                group.pk,
            ],
        )


# Alerts --------------------------------------------------------------------------------------

# An alert's content: what a repeat that says something new changes.
CONTENT: tuple[str, ...] = ("status", "summary", "severity", "starts_at", "ends_at", "labels")
CONTENT += ("annotations", "source_url", "details")


@dataclass(frozen=True)
class Incoming:
    """One alert of a message, ready to write: the last one sent of its key (`repeats`: how
    many times the message carried the key), its content as the database takes it (`values`,
    in CONTENT's order) and the digest of that content. Made before the transaction, so the
    write lock is not held while it is worked out."""

    key: str
    status: str
    values: list
    digest: str
    repeats: int


def incoming(batch: Iterable[AlertInput]) -> list[Incoming]:
    """The alerts of `batch`, once per key (the last of a key wins; the others count)."""
    latest: dict[str, AlertInput] = {}
    repeats: dict[str, int] = {}
    for alert in batch:
        latest[alert.key] = alert
        repeats[alert.key] = repeats.get(alert.key, 0) + 1
    ops = connection.ops
    made = []
    for key, alert in latest.items():
        content = {
            "status": alert.status,
            "summary": alert.summary[:500],  # texts cut to their column
            "severity": alert.severity[:32],
            "starts_at": alert.starts_at,
            "ends_at": alert.ends_at,
            "labels": alert.labels,
            "annotations": alert.annotations,
            "source_url": alert.source_url[:2000],
            "details": alert.details,
        }
        text = json.dumps([content[n] for n in CONTENT], sort_keys=True, default=str)
        digest = hashlib.sha256(text.encode()).hexdigest()
        values = [_adapted(n, content[n], ops) for n in CONTENT]
        made.append(Incoming(key, alert.status, values, digest, repeats[key]))
    return made


def alerts_of(group_id: int) -> dict[str, tuple[int, str, str]]:
    """The group's alerts: key → (id, content digest, status)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_columns(['key', 'id', 'content_digest', 'status'])} "
            f"FROM {_table(Alert)} WHERE group_id = %s",
            [group_id],
        )
        return {key: (pk, digest, status) for key, pk, digest, status in cursor.fetchall()}


def alerts_insert(group_id: int, alerts: Sequence[Incoming], now: datetime) -> None:
    """New alerts of the group."""
    names = ["group_id", "key", *CONTENT, "content_digest", "first_received_at"]
    names += ["last_received_at", "count"]
    at = _when(now)
    values = [[group_id, a.key, *a.values, a.digest, at, at, a.repeats] for a in alerts]
    one = f"({', '.join(['%s'] * len(names))})"
    with connection.cursor() as cursor:
        for start in range(0, len(values), INSERT_CHUNK):
            chunk = values[start : start + INSERT_CHUNK]
            cursor.execute(
                f"INSERT INTO {_table(Alert)} ({_columns(names)}) "
                f"VALUES {', '.join([one] * len(chunk))}",
                [v for row in chunk for v in row],
            )


def alerts_rewrite(alerts: Sequence[tuple[int, Incoming]], now: datetime) -> None:
    """Alerts whose content changed: (id, what came in) each."""
    names = (*CONTENT, "content_digest", "last_received_at")
    sets = ", ".join(f"{connection.ops.quote_name(n)} = %s" for n in names)
    at = _when(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            f'UPDATE {_table(Alert)} SET {sets}, "count" = "count" + %s WHERE id = %s',
            [[*a.values, a.digest, at, a.repeats, pk] for pk, a in alerts],
        )


def alerts_count(ids: list[int], repeats: int, now: datetime) -> None:
    """Alerts sent again unchanged, `repeats` times each: they only count."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {_table(Alert)} SET last_received_at = %s, "count" = "count" + %s '
            f"WHERE id IN ({', '.join(['%s'] * len(ids))})",
            [_when(now), repeats, *ids],
        )
