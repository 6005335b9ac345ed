"""How a postmortem is shown: one document (sections in template order, facts computed now),
written out as JSON for the API and CLI, as Markdown, and as self-contained HTML. No export
shows an image: each is a link to where it lives, so making one reads no file and fetches no
URL (core/markdown.py)."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from incidentdesk.core.markdown import markdown_for_readers, render_markdown
from incidentdesk.postmortems import selectors
from incidentdesk.postmortems.followups import followups_of
from incidentdesk.postmortems.meetings import meeting_json, meeting_of
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
    followups: list[dict[str, Any]] = field(default_factory=list)
    went_well: list[dict[str, Any]] = field(default_factory=list)

    @property
    def written(self) -> bool:
        """Whether the section has content yet (facts alone do not count: they are computed)."""
        return bool(
            self.text or self.five_whys or self.taxonomy_tree or self.followups or self.went_well
        )


def followup_json(item) -> dict[str, Any]:
    """One follow-up as the API, the CLI, the page and the exports show it."""
    return {
        "id": item.pk,
        "title": item.title,
        "owner": item.owner.username if item.owner else None,
        "owner_name": item.owner.display_name if item.owner else "",
        "category": item.category,
        "priority": item.priority,
        "due_date": item.due_date,
        "status": item.status,
        "status_text": item.get_status_display(),
        "wont_do_reason": item.wont_do_reason,
        "external_url": item.external_url,
        "overdue": item.is_overdue,
    }


def followup_rows(postmortem: Postmortem) -> list[dict[str, Any]]:
    return [followup_json(item) for item in followups_of(postmortem)]


def went_well_rows(postmortem: Postmortem) -> list[dict[str, Any]]:
    """What went well; an entry crediting an earlier incident's action is a win."""
    rows = []
    for entry in postmortem.went_well.select_related("action_item__incident").order_by("pk"):
        item = entry.action_item
        rows.append(
            {
                "text": entry.text,
                "win": None
                if item is None
                else {"id": item.pk, "title": item.title, "reference": item.incident.reference},
            }
        )
    return rows


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
        elif kind == SectionKind.ACTIONS:
            section.followups = followup_rows(postmortem)
        elif kind == SectionKind.WENT_WELL:
            section.went_well = went_well_rows(postmortem)
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
                **({"followups": s.followups} if s.kind == SectionKind.ACTIONS else {}),
                **({"went_well": s.went_well} if s.kind == SectionKind.WENT_WELL else {}),
            }
            for s in document(postmortem)
        ],
        "five_whys": postmortem.five_whys,
        "taxonomy_tree": postmortem.taxonomy_tree,
        "taxonomy_principal": postmortem.taxonomy_principal,
        "reviewers": [u.username for u in postmortem.reviewers.all()],
        "meeting": meeting_json(meeting) if (meeting := meeting_of(postmortem)) else None,
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
    if section.kind == SectionKind.ACTIONS:
        lines += [_followup_line(row) for row in section.followups] or ["None yet."]
        lines.append("")
    if section.kind == SectionKind.WENT_WELL:
        lines += [_went_well_line(row) for row in section.went_well] or ["Nothing noted yet."]
        lines.append("")
    if section.text:
        lines += [section.text, ""]
    return lines


def _followup_line(row: dict[str, Any]) -> str:
    due = f", due {row['due_date']:%y-%m-%d}" if row["due_date"] else ""
    status = row["status_text"].lower() + (" (overdue)" if row["overdue"] else "")
    if row["wont_do_reason"]:
        status += f": {row['wont_do_reason']}"
    ticket = f" [ticket]({row['external_url']})" if row["external_url"] else ""
    owner = row["owner_name"] or "no owner"
    return f"- #{row['id']} {row['title']} ({owner}{due}; {status}){ticket}"


def _went_well_line(row: dict[str, Any]) -> str:
    win = row["win"]
    if win is None:
        return f"- {row['text']}"
    return f"- {row['text']} (win: #{win['id']} “{win['title']}”, {win['reference']})"


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
    meeting = meeting_of(postmortem)
    if meeting:
        people = ", ".join(u.display_name for u in meeting.attendees.all())
        lines += [
            "## Root-cause meeting",
            "",
            f"{selectors.report_time(meeting.starts_at)} ({settings.REPORTING_TIME_ZONE}), "
            f"{meeting.duration_minutes} minutes, with {people}.",
            "",
        ]
    public = [(label, getattr(postmortem, name)) for name, label in PUBLIC_LABELS]
    if any(text for _, text in public):
        lines += ["## Public version", ""]
        for label, text in public:
            if text:
                lines += [f"### {label}", "", text, ""]
    # An image in a section is written as a link and raw HTML is escaped: whoever opens the
    # file loads nothing.
    return markdown_for_readers("\n".join(lines).rstrip() + "\n")


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
