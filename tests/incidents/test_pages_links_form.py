"""The Links form reads one URL per line, and only a line feed (with an optional carriage
return) ends a line. str.splitlines() also broke lines at U+000B, U+000C, U+001C-U+001E, U+0085
and U+2028/U+2029, so a URL holding one was stored as two URLs instead of being refused."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
SEPARATORS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.fixture
def incident(declare):
    return declare(title="Checkout is failing")


def save_links(client, incident, text: str):
    path = reverse("incident_edit", args=[incident.reference, "links"])
    return client.post(path, {"fix_change_urls": text})


@pytest.mark.parametrize("separator", SEPARATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_url_holding_a_line_breaking_character_is_refused_not_split(
    client, responder, incident, separator
):
    client.force_login(responder)
    response = save_links(client, incident, f"https://e.com/a{separator}https://e.com/b")
    assert response.status_code == 422
    assert b'id="links_fix_change_urls_error"' in response.content
    incident.refresh_from_db()
    assert incident.fix_change_urls == []


def test_one_url_per_line_with_either_line_ending_is_kept(client, responder, incident):
    client.force_login(responder)
    response = save_links(client, incident, "https://e.com/a\r\n  https://e.com/b \n\n")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.fix_change_urls == ["https://e.com/a", "https://e.com/b"]
