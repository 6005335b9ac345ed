"""The history feeds: valid Atom and RSS 2.0 with the required elements, one entry per
publication carrying its updates newest first."""

import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

from django.test import Client
from django.utils.dateparse import parse_datetime

from incidentdesk.statuspage.public_site import refresh_or_raise

ATOM = "{http://www.w3.org/2005/Atom}"


def fetch(path) -> ET.Element:
    response = Client().get(path)
    assert response.status_code == 200
    return ET.fromstring(response.content)


def test_the_atom_feed_has_the_required_feed_elements(page, settings):
    feed = fetch("/history.atom")
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}").text
    assert parse_datetime(feed.find(f"{ATOM}updated").text).tzinfo is not None
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == f"{settings.BASE_URL}/history.atom"


def test_every_atom_entry_has_id_title_updated_link_and_content(page, settings):
    entries = fetch("/history.atom").findall(f"{ATOM}entry")
    assert len(entries) == 6  # two incidents, four maintenances
    ids = set()
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}").text, required
        ids.add(entry.find(f"{ATOM}id").text)
        assert entry.find(f"{ATOM}link").get("href").startswith(f"{settings.BASE_URL}/incidents/")
        assert entry.find(f"{ATOM}summary").text
    assert len(ids) == 6


def test_an_atom_entry_lists_the_updates_newest_first(page):
    entries = fetch("/history.atom").findall(f"{ATOM}entry")
    active = next(e for e in entries if e.find(f"{ATOM}title").text == "Elevated API errors")
    text = active.find(f"{ATOM}summary").text
    assert text.index("Fix deploying.") < text.index("We are investigating errors on the API.")
    assert "<script" not in text


def test_the_rss_feed_has_the_required_channel_and_item_elements(page, settings):
    rss = fetch("/history.rss")
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    for required in ("title", "link", "description"):
        assert channel.find(required).text, required
    items = channel.findall("item")
    assert len(items) == 6
    for item in items:
        assert item.find("title").text
        assert item.find("link").text.startswith(f"{settings.BASE_URL}/incidents/")
        assert item.find("description").text
        assert item.find("guid").text
        assert parsedate_to_datetime(item.find("pubDate").text).tzinfo is not None


def test_feeds_of_an_empty_page_are_valid_and_stable(db):
    first = refresh_or_raise()
    again = refresh_or_raise()
    assert "/history.atom" in first.changed
    assert "/history.atom" not in again.changed  # no clock in the bytes
    ET.fromstring(first.changed["/history.atom"])
    ET.fromstring(first.changed["/history.rss"])


def test_markup_in_a_public_message_is_escaped_in_the_feed(page, manager):
    from incidentdesk.core.sources import ActionSource
    from incidentdesk.statuspage import services

    services.publication_update(
        actor=manager,
        source=ActionSource.WEB,
        public_incident=page["active"],
        message="<script>alert(1)</script> **bold**",
    )
    stored = refresh_or_raise()
    feed = ET.fromstring(stored.changed["/history.atom"])
    text = "".join(feed.itertext())
    assert "<script>" not in text and "<strong>bold</strong>" in text
