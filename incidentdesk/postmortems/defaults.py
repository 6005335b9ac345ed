"""The taxonomy terms and postmortem templates a new installation starts with.

Data migrations and the test fixtures call the `ensure_*` functions with the model they have
(historical or current), so the built-in rows are defined once, here."""

BUILT_IN_TERMS = {
    "COMMUNICATION_FAILURE": "Information that would have prevented it did not reach the "
    "people who needed it.",
    "DATA_QUALITY": "Data in production was wrong, missing or in a shape the system did not "
    "expect.",
    "FAILED_LINTER": "A linter or static check that should have caught the change did not run "
    "or did not flag it.",
    "FAILED_MIGRATION": "A schema or data migration failed or changed data in an unintended way.",
    "IMPOSSIBLE_TO_TEST": "The failing case could not reasonably be reproduced before production.",
    "INCOMPLETE_PERSPECTIVE": "The change was designed without a view of every system or user "
    "it affects.",
    "INFRASTRUCTURE_ERROR": "Hosts, network, storage or the platform underneath the service "
    "failed.",
    "LACK_OF_TRACEABILITY": "Logs, traces or history were not enough to tell what happened or why.",
    "MISSING_ALERT": "No alert fired although the failure was measurable.",
    "MISSING_TEST": "An automated test that would have caught the problem did not exist.",
    "NO_SPECIFIED": "The expected behaviour was never specified, so nobody could check it.",
    "ROTATION_FAILURE": "A credential, certificate, key or log rotation did not happen or broke "
    "something.",
    "THIRD_PARTY_CHANGE": "A supplier or dependency changed its behaviour or interface.",
    "THIRD_PARTY_ERROR": "A supplier or dependency failed while we used it as intended.",
    "UNHANDLED_EXCEPTION": "An error path the code did not handle reached users.",
}


def _s(key: str, title: str, help: str, kind: str = "markdown") -> dict:
    return {"key": key, "title": title, "help": help, "kind": kind}


BLAMELESS_SECTIONS = [
    _s("summary", "Summary", "Two or three sentences: what happened, to whom, for how long."),
    _s(
        "impact",
        "Impact",
        "Who and how many were affected and how; the facts below come from the incident.",
        "facts",
    ),
    _s("timeline", "Timeline", "Drafted from pinned and important entries; edit freely."),
    _s("cause", "Contributing factors", "The conditions that together let this happen."),
    _s("five_whys", "Five whys", "Each answer becomes the next question.", "five_whys"),
    _s("causing_change", "Causing change", "The change that introduced the problem (a link)."),
    _s("solution", "Solution", "What restored service, with the fixing change links."),
    _s(
        "went_well",
        "What went well",
        "Including earlier actions whose mitigation shrank the impact (a win).",
        "went_well",
    ),
    _s("discussion", "Discussion", "Assumptions that turned out wrong; other factors."),
    _s("lessons", "Lessons learned", "What we know now that we did not know before."),
    _s("conclusion", "Conclusion", "One taxonomy term or a tree: A < B < C.", "taxonomy"),
    _s(
        "actions",
        "Improvement actions",
        "Follow-up actions with one owner and a due date each.",
        "actions",
    ),
]

TECHNOLOGY_REPORT_SECTIONS = [
    _s("description", "Description", "A short description of the incident."),
    _s("facts", "Severity and key facts", "Computed from the incident.", "facts"),
    _s("impact_type", "Type of impact", "Availability, integrity, confidentiality, …"),
    _s("alert_origin", "Origin of the alert", "Where the first signal came from."),
    _s("reported_to", "Department reported to", "Which department received the report."),
    _s(
        "category",
        "Category",
        "unplanned_change, security_policy_breach, backup_failure or other.",
    ),
    _s("what_happened", "What happened", "The sequence of events."),
    _s("extent", "Extent and impact", "How far it reached and what it cost."),
    _s("causes", "Causes", "What led to it."),
    _s("areas", "Areas involved", "Teams, systems and suppliers involved."),
    _s("handling", "How it was handled", "The response, step by step."),
    _s("analysis", "Final analysis", "The conclusion of the investigation."),
    _s("actions", "Improvement actions", "With deadlines and owners.", "actions"),
    _s("lessons", "Lessons learned", "What the organisation takes away."),
]

BUILT_IN_TEMPLATES = [
    {
        "key": "blameless",
        "name": "Blameless postmortem",
        "description": "The default: what happened, why, and what we change, without blame.",
        "sections": BLAMELESS_SECTIONS,
    },
    {
        "key": "technology_incident_report",
        "name": "Technology incident report",
        "description": "The report format some organisations file with their risk function.",
        "sections": TECHNOLOGY_REPORT_SECTIONS,
    },
]


def ensure_built_in_terms(term_model) -> None:
    for key, definition in BUILT_IN_TERMS.items():
        term_model.objects.get_or_create(
            key=key, defaults={"definition": definition, "built_in": True}
        )


STRUCTURED_KINDS = {"actions": "actions", "went_well": "went_well"}


def structure_built_in_templates(template_model) -> None:
    """Built-in templates written before the structured kinds existed: their improvement actions
    and what-went-well sections become the follow-up list and the wins list."""
    for template in template_model.objects.filter(built_in=True):
        for spec in template.sections:
            if spec.get("key") in STRUCTURED_KINDS and spec.get("kind", "markdown") == "markdown":
                spec["kind"] = STRUCTURED_KINDS[spec["key"]]
        template.save(update_fields=["sections"])


def ensure_built_in_templates(template_model) -> None:
    for values in BUILT_IN_TEMPLATES:
        template_model.objects.get_or_create(
            key=values["key"], defaults={**values, "built_in": True}
        )
