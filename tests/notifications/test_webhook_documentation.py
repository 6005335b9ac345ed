"""`meta.documentation` in every webhook body names a page the product serves, to anyone, that
tells a receiver what it gets and how to check it (it pointed to /docs/webhooks, which answered
404)."""

from urllib.parse import urlsplit

from django.test import Client

from incidentdesk.notifications.channels.webhook import USER_AGENT
from tests.notifications.conftest import body


def test_the_documentation_link_of_every_webhook_body_answers_200(
    smtp, receiver, subscribe, publish, components, settings
):
    subscribe(url=receiver.url("/hook"), receiver=receiver)
    publish({components["API"]: "major_outage"})
    links = {body(request)["meta"]["documentation"] for request in receiver.requests}
    assert len(receiver.requests) == 2
    [link] = links
    assert link.startswith(settings.BASE_URL + "/")
    page = Client().get(urlsplit(link).path)
    assert page.status_code == 200
    text = page.content.decode()
    for promise in ("X-IncidentDesk-Signature", "X-IncidentDesk-Delivery", USER_AGENT):
        assert promise in text
    assert "component_update" in text and "meta" in text


def test_the_webhook_documentation_is_a_page_to_read_not_to_post_to(admin):
    assert Client().get("/docs/webhooks").status_code == 200
    assert Client().post("/docs/webhooks").status_code == 405
