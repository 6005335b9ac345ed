"""A status page with something in every state, and the contract check against the schemas
in this folder (written from Statuspage's public API v2 documentation)."""

import json
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.utils import timezone
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_declare
from incidentdesk.statuspage import services
from tests.factories import ComponentFactory

HERE = Path(__file__).parent
WEB = ActionSource.WEB
SCHEMA_FOR = {
    "/api/v2/summary.json": "summary.schema.json",
    "/api/v2/status.json": "status.schema.json",
    "/api/v2/components.json": "components.schema.json",
    "/api/v2/incidents.json": "incidents.schema.json",
    "/api/v2/incidents/unresolved.json": "incidents-unresolved.schema.json",
    "/api/v2/scheduled-maintenances.json": "scheduled-maintenances.schema.json",
    "/api/v2/scheduled-maintenances/upcoming.json": "scheduled-maintenances-upcoming.schema.json",
    "/api/v2/scheduled-maintenances/active.json": "scheduled-maintenances-active.schema.json",
}


@cache
def _registry() -> Registry:
    resources = []
    for file in HERE.glob("*.json"):
        schema = json.loads(file.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def contract_errors(path: str, document: dict) -> list[str]:
    """Every way `document` breaks the schema of the endpoint at `path`."""
    schema = json.loads((HERE / SCHEMA_FOR[path]).read_text())
    validator = Draft202012Validator(schema, registry=_registry())
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def build_page(actor) -> dict:
    """Components in a group and alone; an unresolved and a resolved incident; maintenance
    scheduled, in progress, verifying and completed. `actor` must be a manager."""
    platform = ComponentFactory(name="Platform", position=1, description="Core services")
    api = ComponentFactory(name="API", group=platform, position=2)
    web = ComponentFactory(name="Website", group=platform, position=3)
    email = ComponentFactory(name="Email", position=4)
    now = timezone.now()

    def declare(title):
        return incident_declare(
            actor=actor, source=WEB, title=title, severity="major", criteria=["immediate_response"]
        )

    active = services.publication_create(
        actor=actor,
        source=WEB,
        incident=declare("active one"),
        name="Elevated API errors",
        message="We are investigating errors on the API.",
        components={"API": "partial_outage"},
    )
    services.publication_update(
        actor=actor,
        source=WEB,
        public_incident=active,
        message="Fix deploying.",
        status="monitoring",
    )
    old = services.publication_create(
        actor=actor,
        source=WEB,
        incident=declare("old one"),
        name="Email delays",
        message="Emails are delayed.",
        components={"Email": "degraded_performance"},
    )
    services.publication_resolve(actor=actor, source=WEB, public_incident=old, message="Fixed.")
    maintenances = {}
    for n, state in enumerate(("scheduled", "in_progress", "verifying", "completed")):
        m = services.maintenance_schedule(
            actor=actor,
            source=WEB,
            name=f"Database upgrade {state}",
            message="We will upgrade the database.",
            scheduled_for=now + timedelta(days=n + 1),
            scheduled_until=now + timedelta(days=n + 1, hours=2),
            components=["Website"],
        )
        for step in ("in_progress", "verifying", "completed")[:n]:
            m = type(m).objects.get(pk=m.pk)
            services.maintenance_update(
                actor=actor, source=WEB, maintenance=m, status=step, message=f"Now {step}."
            )
        maintenances[state] = type(m).objects.get(pk=m.pk)
    return {
        "components": {"platform": platform, "api": api, "web": web, "email": email},
        "active": active,
        "resolved": old,
        "maintenances": maintenances,
    }
