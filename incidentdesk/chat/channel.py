"""The `chat` channel kind: notifications posted into a chat conversation, with the outbox's
guarantees (recorded with the change, retried with backoff, failures shown to admins).

A delivery's recipient is `<platform>:<conversation>` (`slack:C0123`, `matrix:!room:server`);
its words come from the renderer a domain registered for (topic, "chat"): `{"text": …}` and,
optionally, `"rich"`, the platform's own form (Slack blocks, Matrix formatted body), and
`"buttons"`; words with `"announcement"` (an incident's id) post that incident's announcement
the first time and update it in place after (see outbound.py). A conversation written
`direct:<user id>` (`direct_address`) is a direct message to that user, in the conversation
the platform finds or opens for it. The delivery key goes to the platform as the message's
key, so a platform that can post idempotently (Matrix transaction ids) posts a retried
delivery once."""

from collections.abc import Iterator

from incidentdesk.chat import outbound
from incidentdesk.chat import registry as platforms
from incidentdesk.chat.platforms.base import ChatError, RateLimited
from incidentdesk.chat.registry import address
from incidentdesk.core.errors import NotFound
from incidentdesk.notifications import registry
from incidentdesk.notifications.channels.base import Outcome, describe
from incidentdesk.notifications.models import Delivery

KIND = "chat"
# Refusals a retry cannot mend; anything else (rate limits, a bot not yet in the channel, the
# network) is tried again with the engine's backoff.
__all__ = ["DIRECT", "KIND", "PERMANENT", "ChatChannel", "address", "direct_address"]

DIRECT = "direct:"

PERMANENT = {
    "channel_not_found",
    "is_archived",
    "invalid_auth",
    "account_inactive",
    "message_not_found",
    "M_NOT_FOUND",
}


def direct_address(user: str) -> str:
    """The conversation to `say` into for a direct message to the platform's user `user`."""
    return DIRECT + user


class ChatChannel:
    def send(self, batch: list[Delivery]) -> Iterator[Outcome]:
        for delivery in batch:
            yield self._send_one(delivery)

    def _send_one(self, delivery: Delivery) -> Outcome:
        kind, _, conversation = delivery.recipient.partition(":")
        words = registry.words_for(delivery.event.topic, delivery.event.payload, KIND) or {}
        text = str(words.get("text") or "")
        if not kind or not conversation:
            return Outcome(delivery, f"not a chat address: {delivery.recipient!r}", permanent=True)
        if not text:
            return Outcome(delivery, f"no chat words for {delivery.event.topic!r}", permanent=True)
        try:
            platform = platforms.platform(kind)
            message = outbound.message_of(words)
            if words.get("announcement"):
                outbound.publish_announcement(
                    kind,
                    platform,
                    conversation,
                    int(words["announcement"]),
                    message,
                    key=delivery.key,
                )
            elif conversation.startswith(DIRECT):
                platform.direct_message(
                    conversation.removeprefix(DIRECT), message, key=delivery.key
                )
            else:
                platform.post(conversation, message, key=delivery.key)
        except NotFound:
            return Outcome(
                delivery, f"the chat platform {kind!r} is not configured", permanent=True
            )
        except RateLimited as exc:
            return Outcome(
                delivery, f"{exc.code}: {exc.message}"[:500], retry_after=exc.retry_after
            )
        except ChatError as exc:
            return Outcome(delivery, f"{exc.code}: {exc.message}"[:500], exc.code in PERMANENT)
        except OSError as exc:
            return Outcome(delivery, describe(exc))
        return Outcome(delivery)
