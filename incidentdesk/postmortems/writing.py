"""The postmortem page's writing, on the web side: which part of the postmortem each form
writes, reading what a form sent, the answer to a part saved as its writer types, the taxonomy
picker, and a refusal put next to the field it names with what was sent kept."""

from dataclasses import dataclass, field
from typing import Any

from django.shortcuts import render
from django.utils import timezone

from incidentdesk.core.errors import IncidentDeskError, NotFound, ValidationError, as_sentence
from incidentdesk.core.markdown import render_markdown
from incidentdesk.postmortems import present, rules, services
from incidentdesk.postmortems.models import TEXT_KINDS, SectionKind

SAVED_TEMPLATE = "postmortems/_saved.html"
ANSWER_HEADER = "X-Postmortem-Answer"
TAXONOMY_LEVELS_MIN = 3
# The fields each of the page's other forms sends; an error naming none of them is shown at
# the top of that form.
FORM_FIELDS = {
    "followup": ("title", "owner", "due_date", "category", "priority", "external_url"),
    "went_well": ("text", "action_item"),
    "review": ("reviewers", "reason"),
    "meeting": ("starts_at", "duration_minutes", "location", "attendees"),
    "feedback": ("response_rating", "postmortem_rating", "improve"),
}


@dataclass
class Editor:
    """One part of the postmortem as its form shows it: the text (or value) in the field, the
    fingerprint of the stored value it started from, and the error to show beside it."""

    part: str
    draft: Any
    base: str
    error: str = ""
    label: str = ""

    @property
    def dom(self) -> str:
        return dom_id(self.part)


@dataclass
class Refused:
    """A refused write: the error by part or `<form>_<field>`, the values sent by part (for
    the writing) and the whole form sent by form name (for the page's other forms)."""

    errors: dict[str, str] = field(default_factory=dict)
    sent: dict[str, Any] = field(default_factory=dict)
    kept: dict[str, Any] = field(default_factory=dict)


def dom_id(part: str) -> str:
    return part.replace(".", "-")


def part_of(section) -> str | None:
    """The part of the postmortem a document section's form writes, or None (facts, follow-ups
    and what went well are not written through the section's own form)."""
    if section.kind in TEXT_KINDS:
        return f"sections.{section.key}"
    if section.kind == SectionKind.FIVE_WHYS:
        return "five_whys"
    if section.kind == SectionKind.TAXONOMY:
        return "taxonomy"
    return None


def _whys(post) -> list[dict[str, str]]:
    pairs = zip(post.getlist("why"), post.getlist("because"), strict=False)
    return [{"why": w, "because": b} for w, b in pairs if w.strip() or b.strip()]


def _tree(post) -> str:
    """The taxonomy tree the picker sent (one term a level, principal first); a typed tree
    (`taxonomy`) is still read, as the API and the CLI take it."""
    if "taxonomy" in post:
        return post.get("taxonomy", "")
    return rules.format_taxonomy_tree([t.strip() for t in post.getlist("term") if t.strip()])


def changes(post) -> dict[str, Any]:
    """The one part a form on the page changes: a section, the whys, the taxonomy or the public
    version."""
    part = post.get("part", "")
    if part == "section":
        return {"sections": {post.get("key", ""): post.get("text", "")}}
    if part == "five_whys":
        return {"five_whys": _whys(post)}
    if part == "taxonomy":
        return {"taxonomy": _tree(post)}
    if part == "public":
        return {name: post.get(name, "") for name, _ in present.PUBLIC_LABELS}
    raise ValidationError("unknown part of the postmortem", field="part")


def bases(post) -> dict[str, str]:
    """The fingerprints of the values the writer started from, sent as `base.<part>`."""
    return {name.removeprefix("base."): post.get(name) for name in post if name.startswith("base.")}


def _sent(changes: dict[str, Any]) -> dict[str, Any]:
    sent = {f"sections.{key}": text for key, text in changes.get("sections", {}).items()}
    sent.update({name: value for name, value in changes.items() if name != "sections"})
    return sent


def refusal(exc: IncidentDeskError, post, changes: dict[str, Any]) -> Refused:
    """A refused save of the writing: the error goes to the part it names (`five_whys.2.why` is
    the whys), else to the first part the form sent."""
    sent = _sent(changes)
    named = exc.field or ""
    part = next((p for p in sent if named == p or named.startswith(f"{p}.")), None)
    if part is None:
        part = next(iter(sent), "part")
    inside = named.removeprefix(f"{part}.") if named.startswith(f"{part}.") else ""
    message = exc.message if named == part else _worded(inside or named, exc.message)
    return Refused(errors={part: as_sentence(message)}, sent=sent)


# Messages that read as the end of a sentence about their field ("is required"), so the field
# is named first when it is not the one the message is shown under.
_PREDICATES = ("is ", "must ", "contains ", "has ", "should ")


def _worded(named: str, message: str) -> str:
    """A message about a field inside a part (`0.why`: "why 1 is required"), or about a field
    no form shows, as a sentence that names it when the message needs its subject."""
    if not named or not message.startswith(_PREDICATES):
        return message
    pieces = named.split(".")
    if len(pieces) == 2 and pieces[0].isdigit():
        return f"{pieces[1].replace('_', ' ')} {int(pieces[0]) + 1} {message}"
    return f"{named.replace('.', ' ').replace('_', ' ')} {message}"


def about_input(exc: IncidentDeskError, form: str) -> bool:
    """Whether a not-found error is about a value the form sent (a person picked who is no
    longer there), so it is said at that field rather than as a page."""
    return isinstance(exc, NotFound) and exc.field in FORM_FIELDS.get(form, ())


def form_refusal(exc: IncidentDeskError, form: str, post) -> Refused:
    """A refused follow-up, win, review, meeting or feedback form: the error by
    `<form>_<field>` (`<form>_form` when it names none of the form's fields)."""
    named = exc.field if exc.field in FORM_FIELDS.get(form, ()) else None
    key = f"{form}_{named or 'form'}"
    message = exc.message if named else _worded(exc.field or "", exc.message)
    return Refused(errors={key: as_sentence(message)}, kept={form: post})


def handles(values: list[str]) -> list[str]:
    """People picked (one value each) or typed (several, by spaces or commas), as usernames."""
    return [h for value in values for h in value.replace(",", " ").split() if h]


def form_dom(post) -> str:
    part = post.get("part", "")
    if part == "section":
        return dom_id(f"sections.{post.get('key', '')}")
    return part


def status_answer(
    request,
    incident,
    *,
    postmortem=None,
    post=None,
    warnings=None,
    refused: Refused | None = None,
    status: int = 200,
):
    """The answer to a part saved from the page by its script: the status line ("Saved 12:03"
    or "Not saved: …"), and out of band the parts' new fingerprints, their errors cleared or
    set, and a section's text as it is stored now (the writer's own, or after a conflict the
    other person's, shown above the writer's text)."""
    post = post if post is not None else request.POST
    parts = []
    section = None
    if refused is None and postmortem is not None:
        for part in _sent(changes(post)):
            value = services.part_value(postmortem, part)
            parts.append({"part": part, "dom": dom_id(part), "base": services.fingerprint(value)})
    if postmortem is not None and post.get("part") == "section":
        key = post.get("key", "")
        text = postmortem.sections.get(key, "")
        titles = {s["key"]: s.get("title", key) for s in postmortem.template.sections}
        section = {
            "key": key,
            "title": titles.get(key, key),
            "text": text,
            "written": bool(text),
            "html": render_markdown(text),
        }
    context = {
        "incident": incident,
        "form": form_dom(post),
        "saved_at": timezone.localtime(),
        "parts": parts,
        "section": section,
        "errors": [
            {"dom": dom_id(part), "message": message}
            for part, message in (refused.errors.items() if refused else ())
        ],
        "error": next(iter(refused.errors.values()), "") if refused else "",
        "warnings": [] if post.get("part") == "section" else (warnings or []),
        "tree": (postmortem.taxonomy_tree or "not set")
        if refused is None and postmortem is not None and post.get("part") == "taxonomy"
        else None,
    }
    response = render(request, SAVED_TEMPLATE, context, status=status)
    # The page's script counts a part saved only on this answer, never on a sign-in page or
    # an error page reached some other way.
    response[ANSWER_HEADER] = "refused" if refused else "saved"
    return response


@dataclass
class Level:
    index: int
    chosen: str
    definition: str


def taxonomy_picker(terms, tree: str) -> dict[str, Any]:
    """The taxonomy as a picker: one select a level (the principal term, then "which was caused
    by" as often as wanted, one spare level), each option showing the term's definition, grouped
    into the built-in terms and the team's own when there are both."""
    terms = list(terms)
    definitions = {t.key: t.definition for t in terms}
    chosen = [t.strip().upper() for t in (tree or "").split("<") if t.strip()]
    count = max(TAXONOMY_LEVELS_MIN, len(chosen) + 1)
    levels = [
        Level(i, key, definitions.get(key, ""))
        for i, key in enumerate(chosen + [""] * (count - len(chosen)))
    ]
    own = [t for t in terms if not t.built_in]
    groups = (
        [("Built-in terms", [t for t in terms if t.built_in]), ("Your team's terms", own)]
        if own and len(own) < len(terms)
        else [("", terms)]
    )
    return {"levels": levels, "groups": groups, "terms": terms}
