"""The incident page's panels: each drawn from its own context, in its column's order; other
domains add theirs by registering them, and no view module imports another domain's."""

import ast
from pathlib import Path

import pytest

from incidentdesk.incidents import panels

PACKAGE = Path(__file__).resolve().parents[2] / "incidentdesk"


@pytest.fixture
def own_registry(monkeypatch):
    """The registered panels, restored after the test."""
    monkeypatch.setattr(panels, "_panels", dict(panels._panels))


def test_the_page_has_each_domains_panel_in_page_order():
    assert [p.name for p in panels.panels(panels.MAIN)] == [
        "timeline",
        "next_steps",
        "facts",
        "statuspage",
        "postmortem",
        "chat_transcript",
    ]
    assert [p.name for p in panels.panels(panels.SIDE)] == [
        "times",
        "roles",
        "disaster",
        "paging",
        "actions",
        "similar",
    ]


def test_the_status_page_and_the_postmortem_register_their_own_panels():
    assert panels.panel("statuspage").context.__module__.startswith("incidentdesk.statuspage.")
    assert panels.panel("postmortem").context.__module__.startswith("incidentdesk.postmortems.")
    assert panels.panel("paging").context.__module__.startswith("incidentdesk.oncall.")


def test_a_registered_panel_is_drawn_from_its_own_context_in_its_place(
    own_registry, client, responder, declare
):
    incident = declare()
    seen = []

    def context(request, incident):
        seen.append(incident.reference)
        return {"level": "info", "message": "Drawn by a panel from the test"}

    panels.register("test", template="incidents/_toast.html", context=context, order=25)
    client.force_login(responder)
    page = client.get(f"/incidents/{incident.reference}").content.decode()
    assert seen == [incident.reference]
    drawn = page.index("Drawn by a panel from the test")
    assert page.index('id="statuspage"') < drawn < page.index('id="postmortem"')


def test_another_panel_under_a_taken_name_is_refused(own_registry):
    with pytest.raises(ValueError, match="already has a panel called 'roles'"):
        panels.register("roles", template="x.html", context=lambda r, i: {}, order=1)


def test_a_panel_goes_in_a_column_the_page_has(own_registry):
    with pytest.raises(ValueError, match="columns"):
        panels.register("test", template="x.html", context=lambda r, i: {}, order=1, column="top")


def _view_modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "views" in parts[:-1] or "views" in parts[-1]:
            found[".".join(parts).removesuffix(".__init__")] = path
    return found


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return names


def test_no_view_module_imports_another_domains_view_module():
    views = _view_modules()
    crossing = [
        f"{module} imports {name}"
        for module, path in views.items()
        for name in _imports(path)
        if name in views and name.split(".")[1] != module.split(".")[1]
    ]
    assert crossing == []


@pytest.mark.parametrize("module", ["incidents/page.py", "incidents/panels.py"])
def test_the_incident_page_imports_neither_the_status_page_nor_postmortems(module):
    names = _imports(PACKAGE / module) | _imports(PACKAGE / "incidents/views/detail.py")
    assert not [
        n for n in names if n.startswith(("incidentdesk.statuspage", "incidentdesk.postmortems"))
    ]
