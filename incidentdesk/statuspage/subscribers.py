"""Status page subscribers: their use cases, and the audience the notification engine asks
who hears the status page's events.

Self-service (the public page): subscribe, confirm, unsubscribe. Managers: import, remove.
Every write runs in one transaction; emails go out through the outbox."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import (
    InvalidTransition,
    NotFound,
    RateLimited,
    ValidationError,
)
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component
from incidentdesk.notifications.addresses import clean_email, clean_webhook_url
from incidentdesk.notifications.channels.email import mail_configured
from incidentdesk.notifications.outbox import emit
from incidentdesk.notifications.registry import Recipient, Standing
from incidentdesk.notifications.services import deliveries_forget
from incidentdesk.statuspage import subscriber_tokens as tokens
from incidentdesk.statuspage.models import (
    PageSettings,
    SubscribeAttempt,
    Subscriber,
    SubscriberKind,
)
from incidentdesk.statuspage.subscriber_tokens import webhook_secret

__all__ = [
    "RateLimited",
    "subscriber_confirm",
    "subscriber_import",
    "subscriber_remove",
    "subscriber_subscribe",
    "subscriber_unsubscribe",
    "webhook_secret",
]

MAX_COMPONENTS = 200
IMPORT_MAX_ROWS = 50_000
RATE_WINDOW = timedelta(hours=1)


def _component_index(*, by_name: bool = False) -> dict[str, Component]:
    """Components by public id (and, for managers' imports, by lower-cased name)."""
    index: dict[str, Component] = {}
    for component in Component.objects.exclude(public_id=None):
        index[str(component.public_id)] = component
        if by_name:
            index.setdefault(component.name.lower(), component)
    return index


def _components(keys, index: dict[str, Component], *, field: str = "components") -> list:
    """The components `keys` name; unknown ones refused with their names."""
    if keys is None:
        return []
    if isinstance(keys, str) or not isinstance(keys, Iterable):
        raise ValidationError("give a list of component ids", field=field)
    wanted = []
    for key in keys:
        if not isinstance(key, str) or not key.strip():
            raise ValidationError("give component ids as text", field=field)
        if key.strip() not in wanted:
            wanted.append(key.strip())
    if len(wanted) > MAX_COMPONENTS:
        raise ValidationError(f"choose at most {MAX_COMPONENTS} components", field=field)
    unknown = [key for key in wanted if (index.get(key) or index.get(key.lower())) is None]
    if unknown:
        raise ValidationError(f"unknown component(s): {', '.join(unknown)}", field=field)
    result = []
    for key in wanted:
        component = index.get(key) or index[key.lower()]
        if component not in result:
            result.append(component)
    return result


def _check_rate(ip: str, now) -> None:
    """Count this request against its address's hourly allowance, or refuse it."""
    recent = SubscribeAttempt.objects.filter(ip=ip, created_at__gt=now - RATE_WINDOW).count()
    if recent >= settings.SUBSCRIBE_RATE_LIMIT:
        raise RateLimited("too many subscription requests from your address; try again in an hour")
    SubscribeAttempt.objects.create(ip=ip, created_at=now)


def subscribe_attempts_forget(*, now=None) -> int:
    """Delete rate-limit rows older than a day (the limit looks back one hour)."""
    now = now or timezone.now()
    deleted, _ = SubscribeAttempt.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
    return deleted


def _clean_ip(ip) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_address(str(ip or "").strip()))
    except ValueError:
        raise ValidationError("the request's address is not an IP address", field="ip") from None


CONFIRM_TOPIC = "subscriber.confirm"
NO_MAIL = (
    "email subscriptions are not available: this status page cannot send email yet; "
    "subscribe a webhook or follow the feed instead"
)


def confirmation_email(data: dict) -> dict:
    """The email asking a new subscriber to confirm (registered renderer of CONFIRM_TOPIC)."""
    subscriber = Subscriber.objects.get(pk=data["subscriber"])
    context = {
        "page": PageSettings.load(),
        "url": tokens.confirm_url(subscriber),
        "components": list(subscriber.components.all()),
        "days": tokens.CONFIRM_MAX_AGE.days,
    }
    return {
        "subject": render_to_string("statuspage/email/confirm_subject.txt", context)
        .strip()
        .replace("\n", " "),
        "text": render_to_string("statuspage/email/confirm.txt", context),
    }


def _send_confirmation(subscriber: Subscriber) -> None:
    emit(
        topic=CONFIRM_TOPIC, payload={"subscriber": subscriber.pk}, staff_emails=[subscriber.email]
    )


def subscriber_subscribe(
    *,
    source: ActionSource,
    ip: str,
    email: str | None = None,
    url: str | None = None,
    component_ids: list[str] | None = None,
) -> Subscriber:
    """Subscribe an email address or a webhook URL (exactly one) to everything, or to the
    components named by their public ids.

    An email subscription stays unconfirmed until its owner follows the link we email them
    (double opt-in). A webhook URL must be https (unless WEBHOOKS_ALLOW_HTTP) and resolve only
    to public addresses (unless WEBHOOKS_ALLOW_PRIVATE); it is active at once and
    `subscriber.webhook_secret` holds its signing secret, shown this one time. Subscribing an
    email address that is already subscribed changes nothing but is answered like a new
    subscription (its owner gets the confirmation link again, which confirms nothing new), so
    the answer tells a stranger nothing; `already_subscribed` says which it was. A webhook
    already subscribed gets no secret. An unconfirmed address gets its confirmation again.

    Email subscriptions are refused (naming `email`) while mail is not configured: the
    confirmation could not be sent, and nothing after it either.

    At most SUBSCRIBE_RATE_LIMIT requests per IP per hour: every request counts, first, and
    stays counted when it is then refused (a refused URL costs a DNS lookup too)."""
    ip = _clean_ip(ip)
    now = timezone.now()
    with transaction.atomic():
        _check_rate(ip, now)
    if (email is None or email == "") == (url is None or url == ""):
        raise ValidationError("give either an email address or a webhook URL", field="email")
    if email and not mail_configured():
        raise ValidationError(NO_MAIL, field="email")
    components = _components(component_ids, _component_index())
    if email:
        address, kind = clean_email(email), SubscriberKind.EMAIL
    else:
        address, kind = clean_webhook_url(url), SubscriberKind.WEBHOOK
    with transaction.atomic():
        lookup = {"email": address} if kind == SubscriberKind.EMAIL else {"url": address}
        subscriber = Subscriber.objects.filter(kind=kind, **lookup).order_by("-id").first()
        if (
            subscriber is not None
            and subscriber.unsubscribed_at is None
            and (subscriber.confirmed_at or kind == SubscriberKind.WEBHOOK)
        ):
            if kind == SubscriberKind.EMAIL:
                _send_confirmation(subscriber)
            return _answer(subscriber, already=True, secret=None)
        if subscriber is None:
            subscriber = Subscriber(kind=kind, created_at=now, created_ip=ip, **lookup)
        # A new, unconfirmed or earlier-cancelled subscription starts (again) from here.
        subscriber.unsubscribed_at = None
        subscriber.confirmed_at = now if kind == SubscriberKind.WEBHOOK else None
        subscriber.save()
        subscriber.components.set(components)
        if kind == SubscriberKind.EMAIL:
            _send_confirmation(subscriber)
    secret = webhook_secret(subscriber) if kind == SubscriberKind.WEBHOOK else None
    return _answer(subscriber, already=False, secret=secret)


def _answer(subscriber: Subscriber, *, already: bool, secret: str | None) -> Subscriber:
    """The subscriber, carrying what the page tells the visitor this once."""
    setattr(subscriber, "already_subscribed", already)  # noqa: B010 - not model fields
    setattr(subscriber, "webhook_secret", secret)  # noqa: B010
    return subscriber


def _by_token(token: str, purpose: str) -> Subscriber:
    subscriber = Subscriber.objects.filter(pk=tokens.read_token(token, purpose)).first()
    if subscriber is None:
        raise NotFound("this subscription no longer exists", field="token")
    return subscriber


def subscriber_confirm(*, token: str, source: ActionSource = ActionSource.WEB) -> Subscriber:
    """Confirm an email subscription from the link we sent (valid 7 days). Confirming twice
    is harmless; a cancelled subscription is not revived by an old link."""
    with transaction.atomic():
        subscriber = _by_token(token, tokens.CONFIRM)
        if subscriber.unsubscribed_at is not None:
            raise InvalidTransition(
                "this subscription was cancelled; subscribe again", field="token"
            )
        if subscriber.confirmed_at is None:
            subscriber.confirmed_at = timezone.now()
            subscriber.save(update_fields=["confirmed_at"])
    return subscriber


def subscriber_unsubscribe(*, token: str, source: ActionSource = ActionSource.WEB) -> Subscriber:
    """Stop all notifications to a subscriber, from the link in every email (never expires).
    Unsubscribing twice is harmless. Deliveries not yet sent are skipped."""
    with transaction.atomic():
        subscriber = _by_token(token, tokens.UNSUBSCRIBE)
        if subscriber.unsubscribed_at is None:
            subscriber.unsubscribed_at = timezone.now()
            subscriber.save(update_fields=["unsubscribed_at"])
    return subscriber


def subscriber_remove(*, actor, source: ActionSource, subscriber: Subscriber) -> None:
    """Delete a subscriber and its delivery history (managers)."""
    require(actor, Perm.SUBSCRIBER_MANAGE)
    with transaction.atomic():
        deliveries_forget(audience=AUDIENCE, reference=str(subscriber.pk))
        Subscriber.objects.filter(pk=subscriber.pk).delete()


@dataclass
class ImportResult:
    created: int = 0
    confirmed: int = 0  # were waiting for confirmation; the import confirms them
    unchanged: int = 0  # already subscribed
    skipped_unsubscribed: int = 0  # had unsubscribed: their choice stands

    @property
    def summary(self) -> str:
        return (
            f"{self.created} added, {self.confirmed} confirmed, {self.unchanged} already "
            f"subscribed, {self.skipped_unsubscribed} skipped (had unsubscribed)"
        )


def _clean_rows(rows) -> list[tuple[str, list[Component]]]:
    if not isinstance(rows, list) or not rows:
        raise ValidationError("give at least one email address", field="rows")
    if len(rows) > IMPORT_MAX_ROWS:
        raise ValidationError(f"import at most {IMPORT_MAX_ROWS} rows at once", field="rows")
    clean, seen, index = [], set(), _component_index(by_name=True)
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ValidationError(f"row {number}: give an email address", field="rows")
        try:
            address = clean_email(row.get("email"))
            components = _components(row.get("components"), index)
        except ValidationError as exc:
            raise ValidationError(f"row {number}: {exc.detail}", field="rows") from None
        if address not in seen:
            seen.add(address)
            clean.append((address, components))
    return clean


def subscriber_import(*, actor, source: ActionSource, rows: list[dict]) -> ImportResult:
    """Add email subscribers in bulk (managers): rows of {"email", "components"?} where
    components are public ids or names. Imported subscribers are confirmed (the manager vouches
    for them); people who unsubscribed are left alone. Any bad row refuses the whole import."""
    require(actor, Perm.SUBSCRIBER_MANAGE)
    clean = _clean_rows(rows)
    now = timezone.now()
    result = ImportResult()
    with transaction.atomic():
        existing = {
            s.email: s for s in Subscriber.objects.filter(kind=SubscriberKind.EMAIL).order_by("id")
        }
        new, links = [], []
        for address, components in clean:
            found = existing.get(address)
            if found is None:
                new.append((Subscriber(kind="email", email=address, confirmed_at=now), components))
            elif found.unsubscribed_at is not None:
                result.skipped_unsubscribed += 1
            elif found.confirmed_at is None:
                Subscriber.objects.filter(pk=found.pk).update(confirmed_at=now)
                result.confirmed += 1
            else:
                result.unchanged += 1
        created = Subscriber.objects.bulk_create([s for s, _ in new], batch_size=500)
        through = Subscriber.components.through
        for subscriber, (_, components) in zip(created, new, strict=True):
            links += [through(subscriber_id=subscriber.pk, component_id=c.pk) for c in components]
        through.objects.bulk_create(links, batch_size=500)
        result.created = len(created)
    return result


AUDIENCE = "statuspage.subscribers"


class Subscribers:
    """The notification audience of the status page's events: active (confirmed, not
    unsubscribed) subscribers who chose no components (they hear about everything), plus,
    when an event names components, those subscribed to one of them or to its group. A
    subscriber who chose components hears only about events that name one of them: an
    incident affecting no component reaches only the subscribers of everything. Each one's
    reference is their id, so a delivery's key is `<event id>:<subscriber id>`."""

    name = AUDIENCE

    def recipients(self, event) -> list[Recipient]:
        wanting = Subscriber.objects.active()
        if not event.component_ids:
            wanting = wanting.filter(components__isnull=True)
        else:
            groups = Component.objects.filter(
                pk__in=event.component_ids, group__isnull=False
            ).values_list("group_id", flat=True)
            targets = set(event.component_ids) | set(groups)
            wanting = wanting.filter(
                Q(components__isnull=True) | Q(components__in=targets)
            ).distinct()
        rows = wanting.order_by("id").values_list("id", "kind", "email", "url")
        return [Recipient(kind, email or url, str(pk)) for pk, kind, email, url in rows]

    def standing(self, references: list[str]) -> dict[str, Standing]:
        """Someone who unsubscribed (or never confirmed) since the event is skipped; the others
        get their own unsubscribe link, and webhooks their signing secret."""
        ids = [int(ref) for ref in references if ref.isdigit()]
        found = {}
        for subscriber in Subscriber.objects.filter(pk__in=ids):
            if subscriber.unsubscribed_at or not subscriber.confirmed_at:
                found[str(subscriber.pk)] = Standing(skip="skipped: unsubscribed")
                continue
            secret = webhook_secret(subscriber) if subscriber.kind == SubscriberKind.WEBHOOK else ""
            found[str(subscriber.pk)] = Standing(
                unsubscribe_url=tokens.unsubscribe_url(subscriber), signing_secret=secret
            )
        return found


# -- reads for the managers' subscribers page ------------------------------------------


def subscriber_list(*, kind: str = "", state: str = "", query: str = "") -> QuerySet[Subscriber]:
    """Subscribers, newest first, with their components; `state` is confirmed, unconfirmed
    or unsubscribed."""
    qs = Subscriber.objects.prefetch_related("components")
    if kind in ("email", "webhook"):
        qs = qs.filter(kind=kind)
    if state == "confirmed":
        qs = qs.active()
    elif state == "unconfirmed":
        qs = qs.filter(confirmed_at__isnull=True, unsubscribed_at__isnull=True)
    elif state == "unsubscribed":
        qs = qs.filter(unsubscribed_at__isnull=False)
    if query:
        qs = qs.filter(Q(email__icontains=query) | Q(url__icontains=query))
    return qs


def subscriber_counts() -> dict[str, int]:
    return {
        "confirmed": Subscriber.objects.active().count(),
        "unconfirmed": Subscriber.objects.filter(
            confirmed_at__isnull=True, unsubscribed_at__isnull=True
        ).count(),
        "unsubscribed": Subscriber.objects.filter(unsubscribed_at__isnull=False).count(),
    }
