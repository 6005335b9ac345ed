"""A fresh install tells the truth on the incident page: the desk block says, per member,
whether the announcement reached them, read from the outbox's deliveries, and never implies
someone was told when mail is not configured or they have no address."""

import re

import pytest
from django.urls import reverse

from incidentdesk.incidents import desk_told
from incidentdesk.incidents.selectors import incident_desk
from incidentdesk.notifications.models import Delivery, DeliveryStatus

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def desk(make_user):
    return [
        make_user(username="dana", email="dana@example.com", on_responders_desk=True),
        make_user(username="nomail", email="", on_responders_desk=True),
    ]


def _declared(declare, capture):
    with capture(execute=True):
        return declare(title="Checkout down")


def _desk_block(client, user, incident) -> str:
    client.force_login(user)
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    block = page.split('id="desk"')[1].split("</div>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block))


def _told(incident) -> dict[str, str]:
    rows = desk_told.desk_told(incident, incident_desk(incident))
    return {member.username: told.words for member, _, told in rows}


def test_without_mail_the_desk_is_not_told_and_the_page_says_so(
    settings, declare, desk, client, responder, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND, settings.EMAIL_HOST = SMTP, ""
    incident = _declared(declare, django_capture_on_commit_callbacks)
    assert _told(incident) == {
        "dana": "not told: mail is not configured",
        "nomail": "not told: no email address",
    }
    block = _desk_block(client, responder, incident)
    assert "Mail is not configured: nobody at the desk is told by email." in block
    assert "dana responders desk not told: mail is not configured" in block
    assert "nomail responders desk not told: no email address" in block
    assert "responders desk told by email" not in block


def test_with_mail_the_page_says_who_was_told_by_email(
    declare, desk, client, responder, django_capture_on_commit_callbacks
):
    incident = _declared(declare, django_capture_on_commit_callbacks)  # the tests' mail backend
    assert _told(incident) == {"dana": "told by email", "nomail": "not told: no email address"}
    block = _desk_block(client, responder, incident)
    assert "dana responders desk told by email" in block
    assert "Mail is not configured" not in block


def test_a_failed_delivery_is_said_with_its_error_and_a_pending_one_as_being_told(
    declare, desk, django_capture_on_commit_callbacks
):
    incident = _declared(declare, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(recipient="dana@example.com")
    delivery.status, delivery.last_error = DeliveryStatus.FAILED, "550 mailbox unavailable"
    delivery.save()
    assert _told(incident)["dana"] == "not told: 550 mailbox unavailable"
    delivery.status, delivery.last_error = DeliveryStatus.PENDING, ""
    delivery.save()
    assert _told(incident)["dana"] == "being told by email"


def test_deliveries_about_another_incident_do_not_count(
    declare, desk, django_capture_on_commit_callbacks
):
    first = _declared(declare, django_capture_on_commit_callbacks)
    second = declare(title="Search slow")  # its announcement never fanned out
    assert _told(first)["dana"] == "told by email"
    assert _told(second)["dana"] == "nothing sent yet"
