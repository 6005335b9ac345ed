"""Whether each chat platform's connection works, for the chat admin page: asked of the
platform when the page is loaded, with a short timeout, and told in words when it fails.

A platform that is not configured is named with the settings that would configure it. The
check itself is the platform's own (Slack's `auth.test`, Matrix's `/account/whoami`); this
module only chooses it by kind and words the answer.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from incidentdesk.chat import registry
from incidentdesk.chat.platforms.base import ChatError, ChatPlatform, RateLimited

TIMEOUT_SECONDS = 3.0

# The platforms this install knows how to talk to, with the settings that switch each on
# (docs/configuration.md) — the first ones are required.
KNOWN = {
    "slack": ("Slack", ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_INCIDENTS_CHANNEL")),
    "matrix": (
        "Matrix",
        ("MATRIX_HOMESERVER_URL", "MATRIX_BOT_USER", "MATRIX_BOT_TOKEN", "MATRIX_INCIDENTS_ROOM"),
    ),
}
# Error codes an admin can act on, in words.
REFUSALS = {
    "invalid_auth": "the bot token was refused",
    "not_authed": "no bot token was sent",
    "account_inactive": "the bot's account or the app was deactivated",
    "token_revoked": "the bot token was revoked",
    "M_UNKNOWN_TOKEN": "the access token was refused",
    "M_MISSING_TOKEN": "no access token was sent",
    "M_FORBIDDEN": "the homeserver refused the bot",
}


@dataclass(frozen=True)
class Connection:
    kind: str
    label: str
    configured: bool
    ok: bool
    detail: str  # who the bot is, or what went wrong, in words
    settings: tuple[str, ...] = ()  # what to set, when not configured


def _slack(platform) -> str:
    me = platform.auth_test(timeout=TIMEOUT_SECONDS)
    return (
        f"Connected to the workspace {me.team} ({me.team_id}) as the bot {me.user} ({me.user_id})"
    )


def _matrix(platform) -> str:
    return f"Connected to the homeserver as {platform.whoami(timeout=TIMEOUT_SECONDS)}"


CHECKS: dict[str, Callable[[ChatPlatform], str]] = {"slack": _slack, "matrix": _matrix}


def _failure(exc: Exception) -> str:
    if isinstance(exc, RateLimited):
        return f"the platform asks us to wait {exc.retry_after:g} seconds; try again later"
    if isinstance(exc, ChatError):
        words = REFUSALS.get(exc.code)
        if words:
            return f"{words} ({exc.code}); check the token in the settings"
        if exc.code == "network_error":
            return f"could not reach the homeserver: {exc.message}"
        return f"the platform refused the check: {exc.code}" + (
            f" ({exc.message})" if exc.message != exc.code else ""
        )
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS:g} seconds"
    reason = getattr(exc, "reason", None) or exc  # urllib's URLError wraps the cause
    return f"could not reach the platform: {reason}"


def check(kind: str) -> Connection:
    """How `kind`'s connection is now (one call to the platform when it is configured)."""
    label, settings = KNOWN.get(kind, (kind.title(), ()))
    if kind not in registry.platform_kinds():
        return Connection(kind, label, False, False, "Not configured", settings)
    run = CHECKS.get(kind)
    if run is None:
        return Connection(kind, label, True, True, "Configured (no connection check for it)")
    try:
        return Connection(kind, label, True, True, run(registry.platform(kind)))
    except (ChatError, OSError) as exc:
        return Connection(kind, label, True, False, _failure(exc))


def check_all() -> list[Connection]:
    """Every known platform and every configured one, in that order, checked at the same time
    (the page waits for the slowest, not for their sum)."""
    kinds = list(KNOWN) + [k for k in registry.platform_kinds() if k not in KNOWN]
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        return list(pool.map(check, kinds))
