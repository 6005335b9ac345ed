"""What the recovery domain registers with the lower domains' registries (docs/architecture.md):
each door adds its line here as it lands."""


def register() -> None:
    from incidentdesk.recovery import postmortem_facts

    postmortem_facts.register()  # a disaster's measured recovery in the postmortem's facts
    from incidentdesk.recovery import (
        commands,  # noqa: F401 - registers the `disaster` command
        incident_panel,  # noqa: F401 - the page's "Disaster" panel
    )
