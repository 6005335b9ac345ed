"""Paging endpoints of the JSON API (/api/v1): escalation policies, pages (made, acknowledged,
cancelled) and the caller's own contact methods. Parse, call the service, answer with the same
JSON as the CLI's --json (page_selectors)."""

from typing import Any

from ninja import Router, Schema, Status

from incidentdesk.core.schemas import Strict
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall import contacts, doors, page_selectors, paging, policies
from incidentdesk.oncall.contacts import contact_methods_of

router = Router(tags=["paging"])
API = ActionSource.API


# Times are ISO 8601 text as page_selectors writes them, so the API and `--json` agree.
Moment = str | None


class PolicyOut(Schema):
    id: int
    name: str
    description: str
    repeat: int
    is_default: bool
    # {position, target, wait_minutes} and the one of person / schedule / policy it names
    steps: list[dict[str, Any]]
    created_at: Moment


class PolicyIn(Strict):
    """A new policy; the service checks the steps and names `steps[n].field`."""

    name: str
    description: str = ""
    repeat: int = 0
    is_default: bool = False
    steps: list[Any]


class PolicyPatch(Strict):
    name: str | None = None
    description: str | None = None
    repeat: int | None = None
    is_default: bool | None = None
    steps: list[Any] | None = None


class PageOut(Schema):
    id: int
    status: str
    summary: str
    message: str
    link: str
    incident: str | None
    policy: str | None
    steps: int
    repeat: int
    step: int
    round: int
    next_at: Moment
    created_by: str | None
    source: str
    created_at: Moment
    acknowledged_by: str | None
    acknowledged_at: Moment
    acknowledged_source: str | None
    finished_at: Moment
    outcome: str


class PageIn(Strict):
    """Whom to page: `target` (a username, schedule or policy name, `@name` for a person) or
    one of `person` / `schedule` / `policy`; none of them pages the default policy."""

    target: str | None = None
    person: int | str | None = None
    schedule: int | str | None = None
    policy: int | str | None = None
    incident: str | None = None
    summary: str = ""
    message: str = ""
    link: str = ""


class CancelIn(Strict):
    reason: str = ""


class ContactMethodOut(Schema):
    id: int
    position: int
    kind: str
    address: str
    label: str
    created_at: Moment
    # A webhook's only: the secret its receiver checks the signature with.
    signing_secret: str | None = None


class ContactMethodIn(Strict):
    kind: str
    address: str
    label: str = ""


class MoveIn(Strict):
    position: int


# Escalation policies -----------------------------------------------------------------------


@router.get("/escalation-policies", response=list[PolicyOut])
def list_policies(request):
    return [page_selectors.policy_data(p) for p in page_selectors.policies()]


@router.post("/escalation-policies", response={201: PolicyOut})
def create_policy(request, payload: PolicyIn):
    policy = policies.policy_create(actor=request.auth, source=API, **payload.dict())
    return Status(201, page_selectors.policy_data(policy))


@router.get("/escalation-policies/{policy_id}", response=PolicyOut)
def get_policy(request, policy_id: int):
    return page_selectors.policy_data(doors.policy_by_id(policy_id))


@router.patch("/escalation-policies/{policy_id}", response=PolicyOut)
def update_policy(request, policy_id: int, payload: PolicyPatch):
    policy = policies.policy_update(
        actor=request.auth,
        source=API,
        policy=doors.policy_by_id(policy_id),
        **payload.dict(exclude_unset=True),
    )
    return page_selectors.policy_data(policy)


@router.delete("/escalation-policies/{policy_id}", response={204: None})
def delete_policy(request, policy_id: int):
    policy = doors.policy_by_id(policy_id)
    policies.policy_delete(actor=request.auth, source=API, policy=policy)
    return Status(204, None)


# Pages -------------------------------------------------------------------------------------


@router.get("/pages", response=list[PageOut])
def list_pages(request, status: str = "", incident: str = ""):
    """Pages the caller may see, newest first; `status` one of open, acknowledged, exhausted,
    cancelled; `incident` a reference."""
    about = doors.incident_named(incident, viewer=request.auth)
    found = doors.visible_pages(request.auth, status=status, incident=about)
    return [page_selectors.page_data(page) for page in found[:500]]


@router.post("/pages", response={201: PageOut})
def create_page(request, payload: PageIn):
    values = payload.dict(exclude_unset=True)
    target = values.pop("target", None)
    if target is not None:
        values.update(doors.target_of(target))
    values["incident"] = doors.incident_named(values.get("incident"), viewer=request.auth)
    page = paging.page_create(actor=request.auth, source=API, **values)
    return Status(201, page_selectors.page_data(page))


@router.get("/pages/{page_id}", response=PageOut)
def get_page(request, page_id: int):
    return page_selectors.page_data(doors.visible_page(request.auth, page_id))


@router.post("/pages/{page_id}/acknowledge", response=PageOut)
def acknowledge_page(request, page_id: int):
    page = doors.visible_page(request.auth, page_id)
    page = paging.page_acknowledge(actor=request.auth, source=API, page=page)
    return page_selectors.page_data(page)


@router.post("/pages/{page_id}/cancel", response=PageOut)
def cancel_page(request, page_id: int, payload: CancelIn):
    """The body may be `{}`, or give the `reason`."""
    page = doors.visible_page(request.auth, page_id)
    page = paging.page_cancel(actor=request.auth, source=API, page=page, reason=payload.reason)
    return page_selectors.page_data(page)


# The caller's contact methods --------------------------------------------------------------


@router.get("/me/contact-methods", response=list[ContactMethodOut], exclude_unset=True)
def list_contact_methods(request):
    return [page_selectors.contact_method_data(m) for m in contact_methods_of(request.auth)]


@router.post("/me/contact-methods", response={201: ContactMethodOut}, exclude_unset=True)
def add_contact_method(request, payload: ContactMethodIn):
    method = contacts.contact_method_add(
        actor=request.auth, source=API, user=request.auth, **payload.dict()
    )
    return Status(201, page_selectors.contact_method_data(method))


@router.delete("/me/contact-methods/{method_id}", response={204: None})
def remove_contact_method(request, method_id: int):
    method = doors.own_contact_method(request.auth, method_id)
    contacts.contact_method_remove(actor=request.auth, source=API, method=method)
    return Status(204, None)


@router.post("/me/contact-methods/{method_id}/move", response=ContactMethodOut, exclude_unset=True)
def move_contact_method(request, method_id: int, payload: MoveIn):
    method = doors.own_contact_method(request.auth, method_id)
    method = contacts.contact_method_move(
        actor=request.auth, source=API, method=method, position=payload.position
    )
    return page_selectors.contact_method_data(method)
