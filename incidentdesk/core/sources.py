from django.db import models


class ActionSource(models.TextChoices):
    """Where a change came from; shown on every timeline entry."""

    WEB = "web", "Web"
    API = "api", "API"
    CLI = "cli", "CLI"
    CHAT = "chat", "Chat"
    ALERT = "alert", "Alert"
    SYSTEM = "system", "System"
