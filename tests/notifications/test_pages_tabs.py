"""The tab bar of the notification pages lists the tabs the apps registered."""

import re

import pytest

from incidentdesk.notifications import tabs


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "tests.notifications.urls"


def _tab_bar(page: str) -> list[str]:
    [nav] = re.findall(r'<nav aria-label="Notifications".*?</nav>', page, re.S)
    return re.findall(r"<a [^>]*>[^<]*</a>", nav)


def test_the_deliveries_and_the_status_pages_subscribers_are_the_tabs(manager_client):
    page = manager_client.get("/notifications/subscribers").content.decode()
    assert _tab_bar(page) == [
        '<a class="btn btn-sm btn-ghost" href="/notifications/deliveries">Deliveries</a>',
        '<a class="btn btn-sm" href="/notifications/subscribers" aria-current="page">'
        "Subscribers</a>",
    ]


def test_a_tab_another_app_registers_joins_the_bar_in_its_place(manager_client, monkeypatch):
    monkeypatch.setitem(
        tabs._tabs, "pages", tabs.Tab("pages", "Pages", "notification_deliveries", 15)
    )
    page = manager_client.get("/notifications/deliveries").content.decode()
    assert [re.sub(r"<[^>]*>", "", link) for link in _tab_bar(page)] == [
        "Deliveries",
        "Pages",
        "Subscribers",
    ]


def test_a_tab_name_is_registered_once():
    with pytest.raises(ValueError, match="already have a deliveries tab"):
        tabs.register_tab("deliveries", "Sent", "notification_deliveries", order=10)
