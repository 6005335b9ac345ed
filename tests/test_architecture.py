"""The domains import each other in one direction only.

    core < accounts < notifications < incidents < statuspage < postmortems < chat < oncall
        < alerts < recovery < search < insights

A lower domain never imports a higher one, not even inside a function: where it needs one, the
higher domain registers with a registry in the lower one from its AppConfig.ready(). `config`
and `incidentdesk/cli.py` put everything together and may import any domain. Every import of
every module under incidentdesk/ counts: module level or inside a function, absolute or
relative, migrations too.
"""

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "incidentdesk"
LAYERS = [
    "core",
    "accounts",
    "notifications",
    "incidents",
    "statuspage",
    "postmortems",
    "chat",  # a door: it calls the services of the domains below it
    "oncall",  # schedules; alerts will page through them
    "alerts",  # a door for monitoring: integrations, alert groups
    "recovery",  # disasters: systems, states, runbooks; uses the status page and postmortems
    "search",  # full-text search and similar incidents, over everything below
    "insights",
]
# The composition root, which may import anything ("": incidentdesk/__init__.py).
ROOT = {"config", "cli", "__main__", ""}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(
    source: str, module: str, modules: set[str], is_package: bool = False
) -> set[str]:
    """Every `incidentdesk…` module that `source` (the text of `module`) imports, wherever the
    import statement stands. `from a import b` imports `a.b` when that is one of `modules`,
    else `a`."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in modules else target)
    return {name for name in found if name.startswith("incidentdesk.")}


def domain_of(module: str) -> str:
    """The package right under incidentdesk/ ("" for incidentdesk itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _domain_edges() -> dict[tuple[str, str], list[str]]:
    """(importing domain, imported domain) -> the module imports behind it. The composition
    root imports what it likes, so its own imports are left out."""
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(path) for path in paths}
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in paths:
        module = _module_name(path)
        source = path.read_text(encoding="utf-8")
        for target in sorted(imported_modules(source, module, modules, path.name == "__init__.py")):
            here, there = domain_of(module), domain_of(target)
            if here != there and here not in ROOT:
                edges[(here, there)].append(f"{module} -> {target}")
    return edges


EDGES = _domain_edges()


def _cycles(edges) -> list[list[str]]:
    """The groups of domains that reach each other (strongly connected, more than one)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for here, there in edges:
        graph[here].add(there)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _show(pairs) -> str:
    return "\n".join(f"  {line}" for pair in pairs for line in EDGES[pair][:3])


def test_the_reader_sees_imports_inside_functions_and_relative_ones():
    source = (
        "from . import rules\n"
        "from ..statuspage.models import PublicIncident\n"
        "def later():\n"
        "    import incidentdesk.postmortems.models\n"
        "    from incidentdesk.insights import metrics\n"
    )
    modules = {"incidentdesk.incidents.rules", "incidentdesk.insights.metrics"}
    found = imported_modules(source, "incidentdesk.incidents.services", modules)
    assert {
        "incidentdesk.incidents.rules",
        "incidentdesk.statuspage.models",
        "incidentdesk.postmortems.models",
        "incidentdesk.insights.metrics",
    } <= found


def test_the_reader_finds_the_imports_between_domains():
    assert ("incidents", "core") in EDGES and ("statuspage", "incidents") in EDGES


def _upward(pairs) -> list[tuple[str, str]]:
    """The pairs that go up the layers, or involve a domain not in LAYERS."""
    rank = {name: position for position, name in enumerate(LAYERS)}
    return [(a, b) for a, b in pairs if rank.get(b, len(rank)) > rank.get(a, -1)]


def test_no_domains_import_each_other_in_a_circle():
    circles = _cycles(EDGES)
    assert not circles, "domains that import each other in a circle:\n" + "\n".join(
        " <-> ".join(group)
        + ", through:\n"
        + _show(_upward(p for p in EDGES if p[0] in group and p[1] in group))
        for group in circles
    )


def test_core_imports_no_domain():
    wrong = [pair for pair in EDGES if pair[0] == "core"]
    assert not wrong, "core imports a domain:\n" + _show(wrong)


def test_notifications_imports_only_core_and_accounts():
    wrong = [
        pair for pair in EDGES if pair[0] == "notifications" and pair[1] not in {"core", "accounts"}
    ]
    assert not wrong, "notifications imports more than core and accounts:\n" + _show(wrong)


def test_a_lower_domain_never_imports_a_higher_one():
    wrong = [(here, there) for here, there in _upward(EDGES) if here in LAYERS and there in LAYERS]
    assert not wrong, "imports against " + " < ".join(LAYERS) + ":\n" + _show(wrong)


def test_no_domain_imports_the_composition_root():
    wrong = [pair for pair in EDGES if pair[1] in ROOT]
    assert not wrong, "a domain imports config or the CLI entry point:\n" + _show(wrong)


# The tests mirror the code: each folder under tests/ holds the tests of one package of
# incidentdesk (a domain, core or config), whichever door they go through; tests/browser drives
# the whole site in real Chromium.
TESTS = Path(__file__).resolve().parent
WHOLE_SITE_FOLDERS = {"browser"}


def test_each_test_folder_is_named_after_a_package_of_incidentdesk():
    packages = {init.parent.name for init in PACKAGE.glob("*/__init__.py")}
    folders = {f.name for f in TESTS.iterdir() if f.is_dir() and not f.name.startswith((".", "_"))}
    strays = sorted(folders - packages - WHOLE_SITE_FOLDERS)
    assert not strays, f"test folders that are not a package of incidentdesk: {strays}"
