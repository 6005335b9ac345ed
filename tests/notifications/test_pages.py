"""The managers' page for deliveries."""

import pytest

from incidentdesk.notifications.models import Delivery


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "tests.notifications.urls"


def test_the_delivery_list_shows_failures_and_retries_them(
    manager_client, receiver, subscribe, publish, django_capture_on_commit_callbacks, smtp
):
    subscribe(url=receiver.url("/hook"), receiver=receiver)
    receiver.statuses = [500]
    publish()
    Delivery.objects.filter(event__topic="incident.updated").update(status="failed")
    page = manager_client.get("/notifications/deliveries?status=failed").content.decode()
    assert "HTTP 500 Internal Server Error" in page and "1 failed" in page
    row = Delivery.objects.get(event__topic="incident.updated")
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(f"/notifications/deliveries/{row.pk}/retry", follow=True)
    assert "queued again" in response.content.decode()
    row.refresh_from_db()
    assert row.status == "sent"


def test_retrying_a_sent_delivery_is_refused_with_a_message(
    manager_client, subscribe, publish, smtp
):
    subscribe(email="ann@example.com")
    publish()
    row = Delivery.objects.filter(status="sent").first()
    response = manager_client.post(f"/notifications/deliveries/{row.pk}/retry", follow=True)
    assert "Only a failed or waiting delivery can be retried" in response.content.decode()
