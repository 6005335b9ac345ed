"""The managers' page for subscribers (statuspage/views/subscribers.py)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidentdesk.statuspage.models import Subscriber
from incidentdesk.statuspage.subscribers import subscriber_import
from tests.notifications.conftest import WEB


def test_viewers_and_responders_may_not_see_subscribers(client, responder):
    client.force_login(responder)
    assert client.get("/notifications/subscribers").status_code == 403
    assert client.get("/notifications/deliveries").status_code == 403
    client.logout()
    assert client.get("/notifications/subscribers").status_code == 302  # to sign in


def test_the_subscriber_list_shows_kind_components_and_state(manager_client, manager, components):
    subscriber_import(
        actor=manager, source=WEB, rows=[{"email": "ann@example.com", "components": ["API"]}]
    )
    page = manager_client.get("/notifications/subscribers").content.decode()
    assert "ann@example.com" in page and "API" in page and "Active" in page
    assert "1 active" in page


def test_importing_pasted_lines_adds_confirmed_subscribers(manager_client, components):
    response = manager_client.post(
        "/notifications/subscribers/import",
        {"rows": "email\nann@example.com\nbob@example.com, API; Website\n\n"},
        follow=True,
    )
    assert "Import done: 2 added" in response.content.decode()
    bob = Subscriber.objects.get(email="bob@example.com")
    assert {c.name for c in bob.components.all()} == {"API", "Website"}
    assert bob.confirmed_at is not None


def test_importing_a_csv_file(manager_client, components):
    upload = SimpleUploadedFile("subs.csv", b"email,components\nann@example.com,Billing\n")
    response = manager_client.post(
        "/notifications/subscribers/import", {"file": upload}, follow=True
    )
    assert "Import done: 1 added" in response.content.decode()


@pytest.mark.parametrize(
    "data, words",
    [
        ({"rows": "ann@example.com\nnot-an-email"}, "Row 2: email:"),
        ({"rows": "ann@example.com, Nope"}, "unknown component(s): Nope"),
        ({"rows": "   "}, "Give at least one email address."),
        ({"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad")}, "not UTF-8"),
    ],
)
def test_a_bad_import_says_why_and_stores_nothing(manager_client, components, data, words):
    response = manager_client.post("/notifications/subscribers/import", data)
    assert response.status_code == 422
    page = response.content.decode()
    assert words in page and "Nothing was imported." in page
    assert not Subscriber.objects.exists()


def test_removing_a_subscriber(manager_client, manager):
    subscriber_import(actor=manager, source=WEB, rows=[{"email": "ann@example.com"}])
    subscriber = Subscriber.objects.get()
    response = manager_client.post(
        f"/notifications/subscribers/{subscriber.pk}/remove", follow=True
    )
    assert "Removed ann@example.com." in response.content.decode()
    assert not Subscriber.objects.exists()
