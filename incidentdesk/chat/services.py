"""Chat use cases: storing what platforms send (once), and who a chat user is here.

A chat door stores every inbound event with `inbound_record` before acting on it, and acts only
when the record is new. It finds the account a chat user acts as with `actor_for`; a user it has
not met yet is first looked up on the platform and met with `identity_for`, which links them by
their verified email. Admins link and unlink by hand (`identity_link`, `identity_unlink`).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.chat.models import REF_LENGTH, ChatIdentity, InboundRecord, LinkMethod
from incidentdesk.chat.platforms.base import ChatUser, InboundEvent
from incidentdesk.core.errors import NotAuthenticated, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource

NOT_LINKED = (
    "your chat account is not linked to an IncidentDesk account; ask an admin to link it, "
    "or give your chat account the verified email address of your IncidentDesk account"
)
# The event's fields kept in InboundRecord.details (the others have columns of their own).
_DETAILS = ("text", "message", "reaction", "values", "reply_to")


def _check_ref(value: str, *, field: str, required: bool = False) -> None:
    if required and not value:
        raise ValidationError("must not be empty", field=field)
    if len(value) > REF_LENGTH:
        raise ValidationError(f"is longer than {REF_LENGTH} characters", field=field)


# Inbound events ---------------------------------------------------------------------------


def inbound_record(event: InboundEvent) -> tuple[InboundRecord, bool]:
    """Store `event` under (platform, dedup_key) and say whether it is new. A repeated
    delivery, even one arriving at the same moment as the first, finds the stored record
    (`created` False) and must not be acted on again. Writes nothing else."""
    _check_ref(event.platform, field="platform", required=True)
    _check_ref(event.dedup_key, field="dedup_key", required=True)
    _check_ref(event.conversation, field="conversation")
    _check_ref(event.actor, field="actor")
    if timezone.is_naive(event.occurred_at):
        raise ValidationError("needs a time zone", field="occurred_at")
    found = InboundRecord.objects.filter(platform=event.platform, dedup_key=event.dedup_key)
    record = found.first()
    if record is not None:
        return record, False
    details = {name: getattr(event, name) for name in _DETAILS if getattr(event, name)}
    try:
        # A savepoint: the caller's transaction survives a duplicate that won the race.
        with transaction.atomic():
            record = InboundRecord.objects.create(
                platform=event.platform,
                dedup_key=event.dedup_key,
                kind=event.kind,
                conversation=event.conversation,
                actor=event.actor,
                occurred_at=event.occurred_at,
                details=details,
            )
    except IntegrityError:
        return found.get(), False
    return record, True


def inbound_done(*, record: InboundRecord, error: str = "") -> bool:
    """Mark `record` as acted on, with the error that stopped it if any. Only the first call
    marks it; it answers whether this call did, so two workers never both finish one event."""
    now = timezone.now()
    done = InboundRecord.objects.filter(pk=record.pk, processed_at__isnull=True).update(
        processed_at=now, error=error
    )
    if done:
        record.processed_at, record.error = now, error
    return bool(done)


# Identities -------------------------------------------------------------------------------


def _account_for_email(identity: ChatIdentity) -> User | None:
    """The one active account whose email is the identity's (in any case), unless it already
    acts as someone else on this platform. None when none or several match."""
    if not identity.email:
        return None
    matches = list(User.objects.filter(email__iexact=identity.email, is_active=True)[:2])
    if len(matches) != 1:
        return None
    taken = ChatIdentity.objects.filter(platform=identity.platform, user=matches[0])
    if taken.exclude(pk=identity.pk).exists():
        return None
    return matches[0]


def identity_for(platform: str, chat_user: ChatUser) -> ChatIdentity:
    """The identity of `chat_user` on `platform`, made on first meeting and kept up to date
    with the name and email the platform reports. Unless an admin decided the link, it links
    to the one active account with the same email (the platform reports only verified ones),
    and follows that email when it changes; an empty email is taken as unknown, not as none.
    Writes only the identity; idempotent."""
    _check_ref(platform, field="platform", required=True)
    _check_ref(chat_user.id, field="user", required=True)
    name, email = chat_user.name.strip()[:200], chat_user.email.strip()[:254]
    with transaction.atomic():
        identity, created = ChatIdentity.objects.select_for_update().get_or_create(
            platform=platform, external_id=chat_user.id, defaults={"name": name, "email": email}
        )
        changed: set[str] = set()
        if name and name != identity.name:
            identity.name = name
            changed.add("name")
        if email and email != identity.email:
            identity.email = email
            changed.add("email")
        if identity.link != LinkMethod.ADMIN and (created or "email" in changed):
            account = _account_for_email(identity)
            if account != identity.user:
                identity.user = account
                identity.link = LinkMethod.EMAIL if account else LinkMethod.NONE
                identity.linked_at = timezone.now() if account else None
                changed |= {"user", "link", "linked_at"}
        if changed:
            identity.updated_at = timezone.now()
            identity.save(update_fields=[*changed, "updated_at"])
    return identity


def identity_link(
    *, actor: User, source: ActionSource, identity: ChatIdentity, user: User
) -> ChatIdentity:
    """Link a chat identity to an account by hand (admins only). The link stays whatever
    email the platform reports later. An account acts as one identity per platform, and a
    deactivated account as none."""
    require(actor, Perm.CHAT_LINK)
    if not user.is_active:
        raise ValidationError(f"{user.username} is deactivated", field="user")
    with transaction.atomic():
        identity = ChatIdentity.objects.select_for_update().get(pk=identity.pk)
        other = (
            ChatIdentity.objects.filter(platform=identity.platform, user=user)
            .exclude(pk=identity.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                f"{user.username} is already linked to {other.name or other.external_id} "
                f"on {identity.platform}; unlink that first",
                field="user",
            )
        _set_link(identity, user)
    return identity


def identity_unlink(*, actor: User, source: ActionSource, identity: ChatIdentity) -> ChatIdentity:
    """Unlink a chat identity from its account (admins only). It then acts as no one, and a
    matching email does not link it again; an admin can link it by hand."""
    require(actor, Perm.CHAT_LINK)
    with transaction.atomic():
        identity = ChatIdentity.objects.select_for_update().get(pk=identity.pk)
        _set_link(identity, None)
    return identity


def _set_link(identity: ChatIdentity, user: User | None) -> None:
    identity.user, identity.link = user, LinkMethod.ADMIN
    identity.linked_at = identity.updated_at = timezone.now()
    identity.save(update_fields=["user", "link", "linked_at", "updated_at"])


def identity_exists(platform: str, user_id: str) -> bool:
    """Whether the chat user `user_id` was met before (linked or not)."""
    return ChatIdentity.objects.filter(platform=platform, external_id=user_id).exists()


def actor_for(platform: str, user_id: str) -> User:
    """The account the chat user `user_id` acts as. `NotAuthenticated` telling them how to
    get linked when they are not; `PermissionDenied` when their account is deactivated."""
    identity = (
        ChatIdentity.objects.select_related("user")
        .filter(platform=platform, external_id=user_id)
        .first()
    )
    if identity is None or identity.user is None:
        raise NotAuthenticated(NOT_LINKED)
    if not identity.user.is_active:
        raise PermissionDenied("your IncidentDesk account is deactivated")
    return identity.user
