"""How a person is reached when they are paged: their contact methods, tried all at once in
the order they put them (lowest position first). Each person manages their own; admins may
manage anyone's. A person with none is reached by email at their account's address.

Addresses are checked by the channel kind's own rule (`notifications.registry.clean_address`);
a chat address (`<platform>:<chat user id>`) must be one of the person's linked chat
identities, so nobody can have someone else's direct messages sent a page."""

import hashlib
import hmac

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, has_perm, require
from incidentdesk.chat.models import ChatIdentity
from incidentdesk.core.checks import check_text
from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.notifications import registry
from incidentdesk.oncall.models import ContactKind, ContactMethod

MAX_METHODS = 20
LABEL_MAX = 100
ADDRESS_MAX = 1000


def _check_may_manage(actor: User, user: User) -> None:
    require(actor, Perm.CONTACT_OWN)
    if actor.pk != user.pk and not has_perm(actor, Perm.USER_MANAGE):
        raise PermissionDenied(
            "only the person themselves or an admin may change how they are paged"
        )


def _chat_address(user: User, value) -> str:
    text = value.strip() if isinstance(value, str) else ""
    platform, _, chat_user = text.partition(":")
    if not platform or not chat_user:
        raise ValidationError(
            "give the chat address as <platform>:<chat user id>, e.g. slack:U0123", field="address"
        )
    linked = ChatIdentity.objects.filter(platform=platform, external_id=chat_user, user=user)
    if not linked.exists():
        raise ValidationError(
            f"{text} is not a chat identity linked to {user.username}", field="address"
        )
    return text


def clean_contact_address(user: User, kind, address) -> tuple[str, str]:
    """(kind, address) checked: a kind a page can go by, and an address that kind takes."""
    if kind not in ContactKind.values:
        raise ValidationError(f"one of {', '.join(ContactKind.values)}", field="kind")
    if isinstance(address, str) and len(address) > ADDRESS_MAX:
        raise ValidationError(f"at most {ADDRESS_MAX} characters", field="address")
    if kind == ContactKind.CHAT:
        return kind, _chat_address(user, address)
    return kind, registry.clean_address(kind, address, field="address")


def contact_method_add(
    *, actor: User, source: ActionSource, user: User, kind: str, address: str, label: str = ""
) -> ContactMethod:
    """Add a way to reach `user`, after their other methods."""
    _check_may_manage(actor, user)
    kind, address = clean_contact_address(user, kind, address)
    label = check_text(label, field="label", max_length=LABEL_MAX)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        methods = ContactMethod.objects.filter(user=user)
        if methods.count() >= MAX_METHODS:
            raise ValidationError(f"at most {MAX_METHODS} contact methods", field="kind")
        if methods.filter(kind=kind, address=address).exists():
            raise ValidationError(
                f"{user.username} already has this {kind} address", field="address"
            )
        top = methods.aggregate(top=Max("position"))["top"] or 0
        try:
            with transaction.atomic():
                return ContactMethod.objects.create(
                    user=user, position=top + 1, kind=kind, address=address, label=label
                )
        except IntegrityError:  # the same address added at the same moment
            raise ValidationError(
                f"{user.username} already has this {kind} address", field="address"
            ) from None


def contact_method_remove(*, actor: User, source: ActionSource, method: ContactMethod) -> None:
    """Stop reaching the person this way (pages already sent are not recalled)."""
    _check_may_manage(actor, method.user)
    ContactMethod.objects.filter(pk=method.pk).delete()


def contact_method_move(
    *, actor: User, source: ActionSource, method: ContactMethod, position: int
) -> ContactMethod:
    """Put `method` at `position` (1 is first) among its person's methods; the others keep
    their order around it."""
    _check_may_manage(actor, method.user)
    if not isinstance(position, int) or isinstance(position, bool) or position < 1:
        raise ValidationError("a whole number of at least 1", field="position")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=method.user_id).first()
        methods = list(ContactMethod.objects.filter(user_id=method.user_id).order_by("position"))
        moving = next((m for m in methods if m.pk == method.pk), None)
        if moving is None:
            raise ValidationError("this contact method no longer exists", field="method")
        methods.remove(moving)
        methods.insert(min(position, len(methods) + 1) - 1, moving)
        # Out of the way first, so no two rows ever hold one position.
        ContactMethod.objects.filter(user_id=method.user_id).update(position=F("position") + 10_000)
        for number, each in enumerate(methods, start=1):
            ContactMethod.objects.filter(pk=each.pk).update(position=number)
            each.position = number
    return moving


def webhook_secret(method_id: int) -> str:
    """The key the receiver of a webhook contact method verifies our signatures with (hex):
    derived from SECRET_KEY and the method, never stored."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"oncall-webhook:{method_id}".encode(), hashlib.sha256).hexdigest()


def contact_methods_of(user: User) -> list[ContactMethod]:
    return list(ContactMethod.objects.filter(user=user).order_by("position"))
