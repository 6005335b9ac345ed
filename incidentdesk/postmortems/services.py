"""Postmortem use cases: start, edit, review and publish; taxonomy terms and templates.

Every write checks permission, runs in one transaction and records an entry on the incident's
timeline. Blameless-language findings come back as warnings and never block a save."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.checks import check_text
from incidentdesk.core.errors import InvalidTransition, NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import (
    Component,
    EntryKind,
    Incident,
    IncidentStatus,
    TimelineEntry,
)
from incidentdesk.incidents.services.access import require_may_see
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.postmortems import rules, selectors
from incidentdesk.postmortems.models import (
    TEXT_KINDS,
    Postmortem,
    PostmortemStatus,
    PostmortemTemplate,
    SectionKind,
    TaxonomyTerm,
)
from incidentdesk.postmortems.present import PUBLIC_LABELS

SECTION_MAX = 50_000
PUBLIC_HEADINGS = dict(PUBLIC_LABELS)  # public field -> its heading on the status page
PUBLIC_FIELDS = tuple(PUBLIC_HEADINGS)
WHYS_MAX = 10
# Saves of the same parts by the same person through the same door within this time make one
# timeline entry, so a page that saves as its writer types does not flood the timeline.
EDIT_ENTRY_WINDOW = timedelta(minutes=10)
TIMELINE_SECTIONS = ("timeline", "what_happened")
# Review moves: target → the states it may be reached from.
REVIEW_MOVES: dict[str, tuple[str, ...]] = {
    PostmortemStatus.IN_REVIEW: (PostmortemStatus.DRAFT,),
    PostmortemStatus.PUBLISHED: (PostmortemStatus.IN_REVIEW,),
    PostmortemStatus.DRAFT: (PostmortemStatus.IN_REVIEW,),
}


@dataclass
class EditResult:
    postmortem: Postmortem
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _record(postmortem_or_incident, *, actor, source, body: str, data: dict) -> None:
    incident = getattr(postmortem_or_incident, "incident", postmortem_or_incident)
    record_entry(
        incident=incident,
        kind=EntryKind.FIELD_CHANGE,
        body=body,
        actor=actor,
        source=source,
        data={"postmortem": data},
    )


def _template(key: str) -> PostmortemTemplate:
    found = PostmortemTemplate.objects.filter(key=(key or "").strip().lower()).first()
    if found is None:
        keys = ", ".join(PostmortemTemplate.objects.values_list("key", flat=True))
        raise ValidationError(f"unknown template {key!r}; use one of {keys}", field="template")
    return found


def _prefill(template: PostmortemTemplate, incident: Incident) -> dict[str, str]:
    keys = {s["key"] for s in template.sections}
    sections: dict[str, str] = {}
    draft = selectors.timeline_draft(incident)
    for key in TIMELINE_SECTIONS:
        if key in keys and draft:
            sections[key] = draft
            break
    if "causing_change" in keys and incident.cause_change_url:
        sections["causing_change"] = f"- <{incident.cause_change_url}>"
    if "solution" in keys and incident.fix_change_urls:
        links = "\n".join(f"- <{url}>" for url in incident.fix_change_urls)
        sections["solution"] = f"Fixing changes:\n\n{links}"
    if "summary" in keys and incident.summary:
        sections["summary"] = incident.summary
    return sections


def postmortem_start(
    *, actor, source: ActionSource, incident: Incident, template: str = "blameless"
) -> Postmortem:
    """Start the incident's postmortem from a template, once the incident is resolved.

    The timeline section is drafted from pinned and important entries, the causing and fixing
    change links and the summary are copied in; all of it stays editable. The facts section is
    not copied: it is computed from the incident whenever it is shown."""
    require(actor, Perm.POSTMORTEM_EDIT)
    chosen = _template(template)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            raise InvalidTransition(
                f"the postmortem opens once the incident is resolved; {incident.reference} is "
                f"still {incident.status}",
                field="status",
            )
        if Postmortem.objects.filter(incident=incident).exists():
            raise InvalidTransition(
                f"{incident.reference} already has a postmortem", field="reference"
            )
        postmortem = Postmortem.objects.create(
            incident=incident,
            template=chosen,
            sections=_prefill(chosen, incident),
            created_by=actor,
        )
        _record(
            incident,
            actor=actor,
            source=source,
            body=f"Postmortem started ({chosen.name})",
            data={"started": chosen.key},
        )
    return postmortem


def _clean_sections(postmortem: Postmortem, sections: Any) -> dict[str, str]:
    if not isinstance(sections, dict):
        raise ValidationError("must be an object of section key → markdown", field="sections")
    editable = {
        s["key"]
        for s in postmortem.template.sections
        if s.get("kind", SectionKind.MARKDOWN) in TEXT_KINDS
    }
    clean = {}
    for key, text in sections.items():
        if key not in editable:
            raise ValidationError(
                f"no text section {key!r} in this template; use one of "
                f"{', '.join(sorted(editable))}",
                field=f"sections.{key}",
            )
        clean[key] = check_text(text, field=f"sections.{key}", max_length=SECTION_MAX)
    return clean


def _clean_whys(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise ValidationError("must be a list of {why, because} pairs", field="five_whys")
    if len(value) > WHYS_MAX:
        raise ValidationError(f"at most {WHYS_MAX} pairs", field="five_whys")
    out = []
    for i, pair in enumerate(value):
        if not isinstance(pair, dict) or set(pair) - {"why", "because"}:
            raise ValidationError("must be {why, because}", field=f"five_whys.{i}")
        why = check_text(
            pair.get("why", ""), field=f"five_whys.{i}.why", max_length=2_000, required=True
        )
        because = check_text(
            pair.get("because", ""), field=f"five_whys.{i}.because", max_length=2_000
        )
        out.append({"why": why, "because": because})
    return out


def text_warnings(texts) -> list[dict[str, Any]]:
    """The blameless check's findings on `(field, text)` pairs; components are never taken
    for people. The page's live preview and every save use this."""
    texts = list(texts)
    if not texts:
        return []
    not_people = list(Component.objects.values_list("name", flat=True))
    return [
        {"field": where, **warning}
        for where, text in texts
        for warning in rules.blameless_warnings(text, not_people=not_people)
    ]


def _warnings(changes: dict[str, Any]) -> list[dict[str, Any]]:
    return text_warnings(_texts(changes))


def _texts(changes: dict[str, Any]):
    for key, text in changes.get("sections", {}).items():
        yield f"sections.{key}", text
    for i, pair in enumerate(changes.get("five_whys", [])):
        yield f"five_whys.{i}.because", pair["because"]
    for name in PUBLIC_FIELDS:
        if name in changes:
            yield name, changes[name]


def _clean_edit(postmortem: Postmortem, changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if value is None:
            continue
        if name == "sections":
            clean[name] = _clean_sections(postmortem, value)
        elif name == "five_whys":
            clean[name] = _clean_whys(value)
        elif name == "taxonomy":
            if not isinstance(value, str):
                raise ValidationError("must be text like A < B", field="taxonomy")
            clean[name] = rules.parse_taxonomy_tree(value, selectors.known_terms())
        elif name in PUBLIC_FIELDS:
            clean[name] = check_text(value, field=name, max_length=10_000)
        else:
            raise ValidationError("is not a postmortem field that can be changed", field=name)
    return clean


def part_value(postmortem: Postmortem, part: str) -> Any:
    """What one editable part holds now: `sections.<key>`, `five_whys`, `taxonomy` or a public
    field."""
    if part.startswith("sections."):
        return postmortem.sections.get(part.removeprefix("sections."), "")
    if part == "taxonomy":
        return postmortem.taxonomy_tree
    if part == "five_whys" or part in PUBLIC_FIELDS:
        return getattr(postmortem, part)
    raise ValidationError("is not a postmortem part that can be changed", field=part)


def fingerprint(value: Any) -> str:
    """A short fingerprint of a part's value; a writer sends back the one they started from."""
    encoded = json.dumps(value, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def _parts(clean: dict[str, Any]) -> list[str]:
    return [f"sections.{key}" for key in clean.get("sections", {})] + [
        name for name in clean if name != "sections"
    ]


def _check_unchanged(postmortem: Postmortem, clean: dict[str, Any], base: dict[str, str]):
    """Refuse a part someone else changed since the writer's copy was read (`base` maps a part
    to the fingerprint of the value they started from), unless it already says what they
    want it to say. Parts without a fingerprint are written as before."""
    for part in _parts(clean):
        expected = base.get(part)
        if expected is None:
            continue
        now = part_value(postmortem, part)
        wanted = (
            rules.format_taxonomy_tree(clean["taxonomy"])
            if part == "taxonomy"
            else clean["sections"][part.removeprefix("sections.")]
            if part.startswith("sections.")
            else clean[part]
        )
        if fingerprint(now) != expected and now != wanted:
            raise InvalidTransition(
                "someone else saved a change to this part after you opened the page; copy your "
                "text, reload the page and merge the two",
                field=part,
            )


def _repeats_last_edit(postmortem: Postmortem, *, actor, source, changed: list[str]) -> bool:
    """Whether the same person's last save through the same door, moments ago, already put an
    entry naming these parts on the timeline."""
    last = (
        TimelineEntry.objects.filter(incident_id=postmortem.incident_id)
        .order_by("-occurred_at", "-id")
        .first()
    )
    return bool(
        last is not None
        and getattr(actor, "pk", None) is not None
        and last.author_id == actor.pk
        and last.source == source
        and last.occurred_at >= timezone.now() - EDIT_ENTRY_WINDOW
        and set(changed) <= set(last.data.get("postmortem", {}).get("edited", []))
    )


def postmortem_edit(
    *,
    actor,
    source: ActionSource,
    postmortem: Postmortem,
    base: dict[str, str] | None = None,
    **changes: Any,
) -> EditResult:
    """Change section text (`sections={key: markdown}`, merged), the five whys (replaced), the
    taxonomy tree (`taxonomy="A < B"`) or the public fields. Refused once published.

    `base` maps a part (`sections.summary`, `five_whys`, `taxonomy`, `public_cause`…) to the
    `fingerprint` of the value the writer started from: a part someone else changed since is
    refused (409 naming it) instead of overwritten. Saving the same parts again within
    EDIT_ENTRY_WINDOW adds no second timeline entry.

    Returns the blameless-language warnings on the text just written; they never block."""
    require(actor, Perm.POSTMORTEM_EDIT)
    clean = _clean_edit(postmortem, changes)
    if base is not None and not isinstance(base, dict):
        raise ValidationError("must map parts to fingerprints", field="base")
    with transaction.atomic():
        postmortem = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        if postmortem.is_published:
            raise InvalidTransition(
                "a published postmortem can no longer be edited", field="status"
            )
        _check_unchanged(postmortem, clean, base or {})
        if "sections" in clean:
            postmortem.sections = {**postmortem.sections, **clean["sections"]}
        if "five_whys" in clean:
            postmortem.five_whys = clean["five_whys"]
        if "taxonomy" in clean:
            terms = clean["taxonomy"]
            postmortem.taxonomy_principal = terms[0] if terms else ""
            postmortem.taxonomy_tree = rules.format_taxonomy_tree(terms)
        for name in PUBLIC_FIELDS:
            if name in clean:
                setattr(postmortem, name, clean[name])
        postmortem.save()
        changed = sorted([*clean.get("sections", {})] + [k for k in clean if k != "sections"])
        if changed and not _repeats_last_edit(
            postmortem, actor=actor, source=source, changed=changed
        ):
            _record(
                postmortem,
                actor=actor,
                source=source,
                body=f"Postmortem edited: {', '.join(changed)}",
                data={"edited": changed},
            )
    return EditResult(postmortem_by_reference(postmortem.incident), _warnings(clean))


def _reviewers(handles: Any) -> list[User]:
    if not isinstance(handles, list | tuple) or not handles:
        raise ValidationError("name at least one reviewer to send it for review", field="reviewers")
    users = []
    for handle in handles:
        if not isinstance(handle, str):
            raise ValidationError("must be a list of usernames", field="reviewers")
        text = handle.strip().lstrip("@")
        lookup = {"email__iexact": text} if "@" in text else {"username__iexact": text}
        user = User.objects.filter(is_active=True, **lookup).first()
        if user is None:
            raise ValidationError(f"no active user {handle!r}", field="reviewers")
        users.append(user)
    return users


def postmortem_review(
    *,
    actor,
    source: ActionSource,
    postmortem: Postmortem,
    status: str,
    reviewers: list[str] | None = None,
    reason: str = "",
) -> Postmortem:
    """Move a postmortem through review: `draft → in_review` (reviewers named, required),
    `in_review → published` (a manager; the conclusion's taxonomy set), `in_review → draft`
    (changes asked for, with an optional reason). Publishing lets the incident be closed."""
    status = (status or "").strip().lower()
    if status not in REVIEW_MOVES:
        raise ValidationError(
            f"unknown status {status!r}; use in_review, published or draft", field="status"
        )
    require(actor, Perm.POSTMORTEM_PUBLISH if status == "published" else Perm.POSTMORTEM_EDIT)
    reason = check_text(reason, field="reason", max_length=2_000)
    chosen = _reviewers(reviewers) if status == PostmortemStatus.IN_REVIEW else []
    require_may_see(chosen, postmortem.incident, field="reviewers")
    with transaction.atomic():
        postmortem = (
            Postmortem.objects.select_for_update().select_related("template").get(pk=postmortem.pk)
        )
        current = postmortem.status
        if current not in REVIEW_MOVES[status]:
            raise InvalidTransition(
                f"a postmortem goes to {status} only from "
                f"{' or '.join(REVIEW_MOVES[status])}; this one is {current}",
                field="status",
            )
        _check_ready(postmortem, status)
        now = timezone.now()
        postmortem.status = status
        if status == PostmortemStatus.IN_REVIEW:
            postmortem.submitted_at = now
            postmortem.reviewers.set(chosen)
        if status == PostmortemStatus.PUBLISHED:
            postmortem.published_at = now
        postmortem.save()
        if status == PostmortemStatus.PUBLISHED:
            _publish_public_version(postmortem, actor=actor, source=source)
        body = f"Postmortem {current} → {status}"
        if chosen:
            body += f"; reviewers: {', '.join(u.username for u in chosen)}"
        if reason:
            body += f": {reason}"
        _record(
            postmortem,
            actor=actor,
            source=source,
            body=body,
            data={"from": current, "to": status, "reviewers": [u.username for u in chosen]},
        )
    return postmortem_by_reference(postmortem.incident)


def _publish_public_version(postmortem: Postmortem, *, actor, source: ActionSource) -> None:
    """If the incident was published on the status page and the postmortem has a public
    version, show that version there. Only the four public fields are used."""
    from incidentdesk.statuspage.models import PublicIncident
    from incidentdesk.statuspage.services import postmortem_publish_public

    publication = PublicIncident.objects.filter(incident_id=postmortem.incident_id).first()
    parts = [
        f"## {heading}\n\n{getattr(postmortem, field).strip()}"
        for field, heading in PUBLIC_HEADINGS.items()
        if getattr(postmortem, field).strip()
    ]
    if publication is None or not parts:
        return
    postmortem_publish_public(
        actor=actor, source=source, public_incident=publication, body="\n\n".join(parts)
    )


def _check_ready(postmortem: Postmortem, status: str) -> None:
    if status != PostmortemStatus.PUBLISHED:
        return
    has_taxonomy = any(s.get("kind") == SectionKind.TAXONOMY for s in postmortem.template.sections)
    if has_taxonomy and not postmortem.taxonomy_tree:
        raise InvalidTransition(
            "set the conclusion's taxonomy term (or tree) before publishing", field="taxonomy"
        )


def taxonomy_term_create(*, actor, source: ActionSource, key: str, definition: str) -> TaxonomyTerm:
    """Add a team's own taxonomy term (admins). Keys are upper-case and unique."""
    require(actor, Perm.SEVERITY_MANAGE)
    key = rules.check_term_key(key if isinstance(key, str) else "")
    definition = check_text(definition, field="definition", max_length=300, required=True)
    with transaction.atomic():
        if TaxonomyTerm.objects.filter(key=key).exists():
            raise ValidationError(f"{key} already exists", field="key")
        return TaxonomyTerm.objects.create(key=key, definition=definition, built_in=False)


def postmortem_by_reference(incident: Incident) -> Postmortem:
    postmortem = selectors.postmortem_for(incident)
    if postmortem is None:
        raise NotFound(f"{incident.reference} has no postmortem yet", field="reference")
    return postmortem
