"""How a postmortem is shown: one document (sections in template order, facts computed now),
written out as JSON for the API and CLI, as Markdown, and as self-contained HTML."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from incidentdesk.core.markdown import render_markdown
from incidentdesk.postmortems import selectors
from incidentdesk.postmortems.models import Postmortem, SectionKind

PUBLIC_LABELS = (
    ("public_impact", "Impact"),
    ("public_cause", "Cause"),
    ("public_solution", "Solution"),
    ("public_conclusion", "Conclusion"),
)


@dataclass
class Section:
    key: str
    title: str
    help: str
    kind: str
    text: str
    facts: list[selectors.Fact] = field(default_factory=list)
    five_whys: list[dict[str, str]] = field(default_factory=list)
    taxonomy_tree: str = ""


def document(postmortem: Postmortem) -> list[Section]:
    """The postmortem's sections in its template's order, with the incident's facts as of now."""
    out = []
    for spec in postmortem.template.sections:
        kind = spec.get("kind", SectionKind.MARKDOWN)
        section = Section(
            key=spec["key"],
            title=spec.get("title", spec["key"]),
            help=spec.get("help", ""),
            kind=kind,
            text=postmortem.sections.get(spec["key"], ""),
        )
        if kind == SectionKind.FACTS:
            section.facts = selectors.incident_facts(postmortem.incident)
        elif kind == SectionKind.FIVE_WHYS:
            section.five_whys = postmortem.five_whys
        elif kind == SectionKind.TAXONOMY:
            section.taxonomy_tree = postmortem.taxonomy_tree
        out.append(section)
    return out


def postmortem_json(postmortem: Postmortem, warnings: list | None = None) -> dict[str, Any]:
    incident = postmortem.incident
    return {
        "reference": incident.reference,
        "title": incident.title,
        "status": postmortem.status,
        "template": {"key": postmortem.template.key, "name": postmortem.template.name},
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "help": s.help,
                "kind": s.kind,
                "text": s.text,
                "facts": [{"label": f.label, "value": f.value} for f in s.facts],
            }
            for s in document(postmortem)
        ],
        "five_whys": postmortem.five_whys,
        "taxonomy_tree": postmortem.taxonomy_tree,
        "taxonomy_principal": postmortem.taxonomy_principal,
        "reviewers": [u.username for u in postmortem.reviewers.all()],
        **{name: getattr(postmortem, name) for name, _ in PUBLIC_LABELS},
        "created_at": postmortem.created_at,
        "updated_at": postmortem.updated_at,
        "published_at": postmortem.published_at,
        "warnings": warnings or [],
    }


def _markdown_section(section: Section) -> list[str]:
    lines = [f"## {section.title}", ""]
    if section.facts:
        lines += [f"- **{f.label}:** {f.value}" for f in section.facts] + [""]
    if section.five_whys:
        for i, pair in enumerate(section.five_whys, 1):
            lines += [f"{i}. **Why?** {pair['why']}", f"   **Because** {pair['because']}"]
        lines.append("")
    if section.kind == SectionKind.TAXONOMY:
        lines += [f"Taxonomy: `{section.taxonomy_tree or 'not set'}`", ""]
    if section.text:
        lines += [section.text, ""]
    return lines


def to_markdown(postmortem: Postmortem) -> str:
    incident = postmortem.incident
    lines = [
        f"# Postmortem: {incident.reference} {incident.title}",
        "",
        f"Status: {postmortem.get_status_display()} · Template: {postmortem.template.name}",
        "",
    ]
    for section in document(postmortem):
        lines += _markdown_section(section)
    public = [(label, getattr(postmortem, name)) for name, label in PUBLIC_LABELS]
    if any(text for _, text in public):
        lines += ["## Public version", ""]
        for label, text in public:
            if text:
                lines += [f"### {label}", "", text, ""]
    return "\n".join(lines).rstrip() + "\n"


def to_html(postmortem: Postmortem) -> str:
    """One HTML file with its CSS inline and no external references, to mail or archive."""
    return render_to_string(
        "postmortems/export.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "body": render_markdown(to_markdown(postmortem)),
            "zone": settings.REPORTING_TIME_ZONE,
        },
    )
