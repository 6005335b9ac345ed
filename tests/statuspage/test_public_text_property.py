"""Any text through publish, update and resolve: a refused character gives an error naming the
field and changes nothing; accepted text is on `/`, in summary.json and in both feeds at once."""

import itertools
import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client, TestCase
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import unsafe_character
from incidentdesk.incidents.services import incident_declare
from incidentdesk.statuspage import public_site, services
from incidentdesk.statuspage.models import PublicDocument, PublicIncident, PublicUpdate
from incidentdesk.statuspage.public_site import refresh_or_raise
from tests.factories import ComponentFactory

WEB = ActionSource.WEB
ATOM = "{http://www.w3.org/2005/Atom}"
SUMMARY = "/api/v2/summary.json"
markers = (f"mark{n}x" for n in itertools.count())
# Any text, with the refused characters drawn often enough to be tried every run.
texts = st.text(max_size=40) | st.text(
    alphabet=st.sampled_from(["a", " ", "\n", "\t", "\x0b", "\x00", "\x1f", "\ufffe", "é"]),
    max_size=10,
)
FAST = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def setup(manager):
    public_site.cache.reset()
    ComponentFactory(name="API")
    refresh_or_raise()
    yield manager
    public_site.cache.reset()


def committed(write):
    """Run a service as a request would: its refresh runs when its transaction commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return write()


def public_views_of_the_site() -> dict:
    client = Client()
    home = client.get("/")
    summary = client.get(SUMMARY)
    atom = client.get("/history.atom")
    rss = client.get("/history.rss")
    for response in (home, summary, atom, rss):
        assert response.status_code == 200
    return {
        "home": home.content.decode(),
        "summary": json.loads(summary.content),
        "atom": "".join(ET.fromstring(atom.content).itertext()),
        "rss": "".join(ET.fromstring(rss.content).itertext()),
    }


def documents() -> dict:
    return dict(PublicDocument.objects.values_list("path", "etag"))


def check_refused(write, text: str, field: str) -> None:
    """A refused text: an error naming the field and the character, and nothing changed."""
    event(f"{field} refused")
    before = (documents(), PublicIncident.objects.count(), PublicUpdate.objects.count())
    with pytest.raises(ValidationError) as refused:
        committed(write)
    assert refused.value.field == field
    assert unsafe_character(text) in refused.value.message
    after = (documents(), PublicIncident.objects.count(), PublicUpdate.objects.count())
    assert after == before


def check_shown(marker: str, message: str, *, unresolved: bool) -> None:
    """The message is on the home page and in both feeds; summary.json carries it exactly
    while the publication is unresolved, and drops the publication once resolved."""
    event("shown")
    site = public_views_of_the_site()
    for where in ("home", "atom", "rss"):
        assert marker in site[where], where
    bodies = [u["body"] for i in site["summary"]["incidents"] for u in i["incident_updates"]]
    if unresolved:
        assert message.strip() in bodies
    else:
        assert not any(marker in body for body in bodies)


@FAST
@given(text=texts)
def test_any_text_published_is_shown_everywhere_or_refused(setup, text):
    manager = setup
    marker = next(markers)
    incident = incident_declare(
        actor=manager, source=WEB, title="t", severity="major", criteria=["immediate_response"]
    )
    message = f"{marker} {text}"

    def publish():
        return services.publication_create(
            actor=manager,
            source=WEB,
            incident=incident,
            name=f"Outage {marker}",
            message=message,
            components={"API": "partial_outage"},
        )

    if unsafe_character(message.strip()):  # the check reads the text trimmed
        check_refused(publish, message.strip(), "message")
        return
    committed(publish)
    check_shown(marker, message, unresolved=True)


@FAST
@given(update=texts, resolve=texts)
def test_any_text_posted_as_an_update_or_resolution_is_shown_everywhere_or_refused(
    setup, update, resolve
):
    manager = setup
    marker = next(markers)
    incident = incident_declare(
        actor=manager, source=WEB, title="t", severity="major", criteria=["immediate_response"]
    )
    publication = committed(
        lambda: services.publication_create(
            actor=manager,
            source=WEB,
            incident=incident,
            name=f"Outage {marker}",
            message="Looking into it.",
            components={"API": "partial_outage"},
        )
    )

    update_marker, update_message = f"{marker}u", f"{marker}u {update}"

    def post_update():
        return services.publication_update(
            actor=manager, source=WEB, public_incident=publication, message=update_message
        )

    if unsafe_character(update_message.strip()):
        check_refused(post_update, update_message.strip(), "message")
    else:
        committed(post_update)
        check_shown(update_marker, update_message, unresolved=True)

    resolve_marker, resolve_message = f"{marker}r", f"{marker}r {resolve}"

    def resolve_it():
        return services.publication_resolve(
            actor=manager, source=WEB, public_incident=publication, message=resolve_message
        )

    if unsafe_character(resolve_message.strip()):
        check_refused(resolve_it, resolve_message.strip(), "message")
        return
    committed(resolve_it)
    check_shown(resolve_marker, resolve_message, unresolved=False)
