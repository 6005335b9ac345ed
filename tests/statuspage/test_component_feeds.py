"""Feeds narrowed to a component: `/history.atom?component=<id or name>` and the RSS twin
list only the publications affecting it (for a group, any of its components)."""

import xml.etree.ElementTree as ET

from django.test import Client

from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage import services
from incidentdesk.statuspage.public_site import refresh_or_raise
from incidentdesk.statuspage.views.public import serve_public_documents

ATOM = "{http://www.w3.org/2005/Atom}"
WEB = ActionSource.WEB


def atom_titles(query: str) -> list[str]:
    response = Client().get(f"/history.atom?{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    return [entry.find(f"{ATOM}title").text for entry in feed.iter(f"{ATOM}entry")]


def rss_titles(query: str) -> list[str]:
    response = Client().get(f"/history.rss?{query}")
    assert response.status_code == 200
    return [item.find("title").text for item in ET.fromstring(response.content).iter("item")]


def test_a_feed_narrowed_by_component_id_lists_only_what_affects_it(page):
    api = page["components"]["api"]
    assert atom_titles(f"component={api.public_id}") == ["Elevated API errors"]
    assert rss_titles(f"component={api.public_id}") == ["Elevated API errors"]


def test_a_component_may_be_named_in_any_case(page):
    assert atom_titles("component=email") == ["Email delays"]
    assert rss_titles("component=Email") == ["Email delays"]


def test_a_group_narrows_to_everything_affecting_its_components(page):
    titles = atom_titles("component=Platform")
    assert "Elevated API errors" in titles and "Email delays" not in titles
    assert len(titles) == 5  # the API incident and four maintenances of the Website


def test_the_narrowed_feed_names_the_component_and_links_itself(page, settings):
    email = page["components"]["email"]
    feed = ET.fromstring(Client().get("/history.atom?component=Email").content)
    assert feed.find(f"{ATOM}title").text.endswith(" - Email")
    self_link = feed.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == f"{settings.BASE_URL}/history.atom?component={email.public_id}"


def test_an_unknown_component_is_a_404(page):
    assert Client().get("/history.atom?component=Nope").status_code == 404
    assert Client().get("/history.rss?component=").status_code == 404


def test_a_narrowed_feed_follows_new_publications(page, manager, declare):
    assert atom_titles("component=Email") == ["Email delays"]
    services.publication_create(
        actor=manager,
        source=WEB,
        incident=declare(actor=manager, title="mail again"),
        name="Email bounces",
        message="Some emails bounce.",
        components={"Email": "partial_outage"},
    )
    refresh_or_raise()
    assert atom_titles("component=Email") == ["Email bounces", "Email delays"]


def test_the_whole_feed_is_unchanged_without_the_parameter(page):
    assert len(atom_titles("")) == 6


def test_the_fast_path_hands_a_narrowed_feed_to_django(page):
    seen = {}

    def django(environ, start_response):
        seen["query"] = environ["QUERY_STRING"]
        start_response("200 OK", [])
        return [b""]

    app = serve_public_documents(django)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/history.rss",
        "QUERY_STRING": "component=Email",
        "wsgi.input": __import__("io").BytesIO(b""),
    }
    b"".join(app(environ, lambda status, headers, exc_info=None: None))
    assert seen["query"] == "component=Email"
