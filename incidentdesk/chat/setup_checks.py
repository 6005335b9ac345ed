"""Chat's item of the set-up checklist (incidents/setup_checks.py): is a platform configured?"""

from django.urls import reverse

from incidentdesk.chat import registry
from incidentdesk.incidents import setup_checks
from incidentdesk.incidents.setup_checks import Result

NAMES = {"slack": "Slack", "matrix": "Matrix"}


def chat() -> Result:
    kinds = registry.platform_kinds()
    if not kinds:
        return Result(
            False,
            "No chat platform is configured: incidents get no channel and nobody can "
            "declare or run commands from chat.",
            todo="Connect Slack (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET) or Matrix "
            "(MATRIX_HOMESERVER_URL, MATRIX_BOT_USER, MATRIX_BOT_TOKEN), then restart.",
            url=reverse("chat_admin"),
            link="chat settings",
            doc="docs/chat.md",
        )
    names = " and ".join(NAMES.get(k, k) for k in kinds)
    return Result(True, f"{names} connected.")


setup_checks.register("chat", title="Chat", check=chat, order=40)
