"""The severity levels a new installation starts with (admins can change them)."""

DEFAULT_SEVERITIES = [
    dict(
        key="critical",
        name="Critical",
        position=1,
        aliases="sev1,p1",
        pages=True,
        reminder_interval_minutes=30,
        postmortem_required=True,
        action_due_days=15,
        description="A core service is down or data is at risk for many users.",
    ),
    dict(
        key="major",
        name="Major",
        position=2,
        aliases="sev2,p2",
        pages=True,
        reminder_interval_minutes=60,
        postmortem_required=True,
        action_due_days=30,
        description="A feature is broken or badly degraded for some users.",
    ),
    dict(
        key="trivial",
        name="Trivial",
        position=3,
        aliases="sev3,p3,minor",
        pages=False,
        reminder_interval_minutes=240,
        postmortem_required=False,
        action_due_days=60,
        description="A small problem with a workaround.",
    ),
]


def ensure_default_severities(severity_model) -> None:
    """Create the default levels unless levels exist. Takes the model so a migration can pass
    its historical one."""
    if severity_model.objects.exists():
        return
    for values in DEFAULT_SEVERITIES:
        severity_model.objects.create(**values)
