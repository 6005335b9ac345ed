"""What every door of paging (API, CLI, command language, web, chat) reads the same way before
calling a paging service: which pages someone may see, one page or policy by its id, and what
a typed target (`bob`, `@bob`, `Primary`, `"Database on-call"`) names."""

from django.db.models import Q, QuerySet

from incidentdesk.accounts.models import User
from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.selectors import visible_incident, visible_incidents
from incidentdesk.oncall import page_selectors
from incidentdesk.oncall.models import (
    ContactMethod,
    EscalationPolicy,
    Page,
    PageStatus,
    Schedule,
)


def visible_pages(viewer, *, status: str | None = None, incident=None) -> QuerySet[Page]:
    """Pages `viewer` may see, newest first: those about no incident or about one they can see
    (a restricted incident's pages are as hidden as the incident). `status` is checked."""
    if status and status not in PageStatus.values:
        raise ValidationError(f"one of {', '.join(PageStatus.values)}", field="status")
    seen = visible_incidents(viewer).values("pk")
    return page_selectors.pages(status=status or None, incident=incident).filter(
        Q(incident__isnull=True) | Q(incident__in=seen)
    )


def visible_page(viewer, page_id: int) -> Page:
    """One page `viewer` may see, or NotFound naming `page` (the same for one they may not)."""
    page = visible_pages(viewer).filter(pk=page_id).first()
    if page is None:
        raise NotFound(f"no page with id {page_id}", field="page")
    return page


def policy_by_id(policy_id: int) -> EscalationPolicy:
    policy = page_selectors.policies().filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"no escalation policy with id {policy_id}", field="policy")
    return policy


def own_contact_method(user: User, method_id: int) -> ContactMethod:
    """One of `user`'s own contact methods, or NotFound naming `method`."""
    method = ContactMethod.objects.filter(pk=method_id, user=user).select_related("user").first()
    if method is None:
        raise NotFound(f"you have no contact method with id {method_id}", field="method")
    return method


def incident_named(reference: str | None, *, viewer, field: str = "incident") -> Incident | None:
    """The incident `reference` names if `viewer` may see it; None for no reference."""
    reference = refuse_unsafe_characters((reference or "").strip(), field=field)
    if not reference:
        return None
    incident = visible_incident(reference, viewer=viewer)
    if incident is None:
        raise NotFound(f"no incident {reference}", field=field)
    return incident


def _named(text: str) -> list[dict]:
    if text.startswith("@"):
        users = User.objects.filter(username__iexact=text[1:], is_active=True)[:1]
        return [{"person": user} for user in users]
    found: list[dict] = [
        {"person": user} for user in User.objects.filter(username__iexact=text, is_active=True)[:1]
    ]
    found += [{"schedule": s} for s in Schedule.objects.filter(name__iexact=text)[:1]]
    found += [{"policy": p} for p in EscalationPolicy.objects.filter(name__iexact=text)[:1]]
    return found


def _one(text: str, found: list[dict], field: str) -> dict:
    if not found:
        raise ValidationError(
            f"{text!r} is neither an active person, a schedule nor an escalation policy",
            field=field,
        )
    if len(found) > 1:
        kinds = " and a ".join(next(iter(f)) for f in found)
        raise ValidationError(
            f"{text!r} names a {kinds}; write @{text} for the person", field=field
        )
    return found[0]


def target_of(word: str, *, field: str = "target") -> dict:
    """What a typed target names, as page_create's keyword: `{"person": user}`,
    `{"schedule": schedule}` or `{"policy": policy}`. `@name` is always a person; otherwise a
    username, a schedule's name or a policy's name (any case). Nothing found, or two kinds
    found (a schedule and a policy both called "Ops"): refused naming `field`."""
    text = refuse_unsafe_characters((word or "").strip(), field=field)
    if not text:
        raise ValidationError("name a person, a schedule or a policy", field=field)
    return _one(text, _named(text), field)


def _first_word(text: str) -> tuple[str, str]:
    """The first word and the rest; a first word in double quotes may hold spaces."""
    if text.startswith('"'):
        end = text.find('"', 1)
        if end > 0:
            return text[1:end].strip(), text[end + 1 :].strip()
    words = text.split(maxsplit=1)
    return words[0], (words[1] if len(words) > 1 else "")


def split_target(argument: str) -> tuple[dict, str]:
    """The command language's `page [target] [message]`: when the first word (or a "quoted"
    name, or an @person) names a person, schedule or policy, it is the target and the rest the
    message; otherwise everything is the message and the target is the default policy ({})."""
    text = refuse_unsafe_characters((argument or "").strip(), field="text")
    if not text:
        return {}, ""
    first, rest = _first_word(text)
    found = _named(first)
    if found or first.startswith("@") or text.startswith('"'):
        return _one(first, found, "text"), rest
    return {}, text
