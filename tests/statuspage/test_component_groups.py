"""A component group's status is the worst of its children's, as on Statuspage: in the v2
JSON (where dashboards often read only the top-level rows) and on the HTML page."""

import json
import re
from itertools import permutations

import pytest

from incidentdesk.statuspage import public_site, rules, services
from incidentdesk.statuspage.models import PublicDocument
from incidentdesk.statuspage.public_site import refresh_or_raise
from tests.factories import ComponentFactory
from tests.statuspage.schemas.sample import WEB, build_page

LEAST_TO_MOST_SEVERE = [
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    public_site.cache.reset()
    yield
    public_site.cache.reset()


def stored_json(path: str) -> dict:
    return json.loads(bytes(PublicDocument.objects.get(path=path).body))


def rows_by_name(path: str = "/api/v2/summary.json") -> dict[str, dict]:
    return {row["name"]: row for row in stored_json(path)["components"]}


@pytest.mark.parametrize("order", list(permutations(LEAST_TO_MOST_SEVERE, 2)))
def test_the_worst_of_two_statuses_is_the_more_severe(order):
    expected = max(order, key=LEAST_TO_MOST_SEVERE.index)
    assert rules.worst_status(order) == expected


def test_the_order_runs_from_operational_through_maintenance_to_major_outage():
    assert list(rules.STATUS_SEVERITY) == LEAST_TO_MOST_SEVERE
    assert set(rules.STATUS_SEVERITY) == set(rules.COMPONENT_STATUSES)
    assert rules.worst_status(LEAST_TO_MOST_SEVERE) == "major_outage"
    assert rules.worst_status([]) == "operational"


def test_top_level_rows_show_a_degraded_child(manager):
    page = build_page(manager)  # API (in Platform) has a partial outage
    refresh_or_raise()
    for path in ("/api/v2/summary.json", "/api/v2/components.json"):
        top_level = [row for row in stored_json(path)["components"] if row["group_id"] is None]
        platform = next(row for row in top_level if row["name"] == "Platform")
        assert platform["group"] is True
        assert platform["status"] == "partial_outage", path
        assert platform["components"] == [
            page["components"]["api"].public_id,
            page["components"]["web"].public_id,
        ]
    assert rows_by_name()["API"]["status"] == "partial_outage"
    assert rows_by_name()["Website"]["status"] == "operational"


@pytest.mark.parametrize(
    ("children", "group_status"),
    [
        (["operational", "operational"], "operational"),
        (["operational", "under_maintenance"], "under_maintenance"),
        (["under_maintenance", "degraded_performance"], "degraded_performance"),
        (["degraded_performance", "major_outage", "partial_outage"], "major_outage"),
    ],
)
def test_a_group_row_has_its_worst_childs_status(manager, children, group_status):
    group = ComponentFactory(name="Group")
    for n, status in enumerate(children):
        ComponentFactory(name=f"Child {n}", group=group, status=status)
    refresh_or_raise()
    assert rows_by_name()["Group"]["status"] == group_status


def test_a_group_follows_its_children_as_they_change(manager, declare):
    group = ComponentFactory(name="Platform")
    ComponentFactory(name="API", group=group)
    ComponentFactory(name="Website", group=group)
    publication = services.publication_create(
        actor=manager,
        source=WEB,
        incident=declare(actor=manager),
        name="Slow pages",
        message="Pages load slowly.",
        components={"Website": "degraded_performance"},
    )
    refresh_or_raise()
    assert rows_by_name()["Platform"]["status"] == "degraded_performance"
    services.publication_resolve(
        actor=manager, source=WEB, public_incident=publication, message="Fixed."
    )
    refresh_or_raise()
    assert rows_by_name()["Platform"]["status"] == "operational"


def test_a_group_without_children_keeps_its_own_status(manager):
    ComponentFactory(name="Lonely", status="partial_outage")
    refresh_or_raise()
    row = rows_by_name()["Lonely"]
    assert row["status"] == "partial_outage" and row["group"] is False


def group_status_on_the_home_page(name: str) -> str:
    """The status class shown in the head of the group `name` on the rendered home page."""
    html = bytes(PublicDocument.objects.get(path="/").body).decode()
    summary = re.search(
        rf'<summary>.*?{re.escape(name)} <span.*?class="sp-status-text st-([a-z_]+)"', html, re.S
    )
    assert summary, f"no group {name!r} on the page"
    return summary.group(1)


def test_the_html_page_shows_a_group_with_its_worst_childs_status(manager):
    group = ComponentFactory(name="Platform")
    ComponentFactory(name="API", group=group, status="under_maintenance")
    ComponentFactory(name="Website", group=group, status="major_outage")
    ComponentFactory(name="Search", group=group)
    refresh_or_raise()
    assert group_status_on_the_home_page("Platform") == "major_outage"
    assert rows_by_name()["Platform"]["status"] == "major_outage"
