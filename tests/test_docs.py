"""Everything a user can set or call is documented (settings, CLI commands, endpoints, commands)."""

import re
from pathlib import Path

import pytest

from incidentdesk.incidents.commands import registry

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _read(name: str) -> str:
    return (DOCS / name).read_text()


def test_every_environment_setting_is_documented():
    settings_source = (ROOT / "incidentdesk/config/settings.py").read_text()
    names = set(re.findall(r'env(?:_bool)?\("([A-Z_]+)"', settings_source))
    assert names, "no settings found: the pattern no longer matches settings.py"
    documented = _read("configuration.md")
    missing = sorted(n for n in names if f"`{n}`" not in documented)
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def _our_commands() -> list[str]:
    paths = ROOT.glob("incidentdesk/*/management/commands/*.py")
    return sorted(p.stem for p in paths if not p.stem.startswith("_"))


def test_every_cli_command_is_documented():
    commands = _our_commands()
    if not commands:
        pytest.fail("no management commands found")
    documented = _read("cli.md")
    missing = [c for c in commands if f"incidentdesk {c}" not in documented]
    assert not missing, f"commands missing from docs/cli.md: {missing}"


def test_every_api_endpoint_is_documented(client):
    schema = client.get("/api/v1/openapi.json").json()
    documented = _read("api.md")
    missing = []
    for path, operations in schema["paths"].items():
        for method in operations:
            if f"`{method.upper()} {path}" not in documented:
                missing.append(f"{method.upper()} {path}")
    assert not missing, f"endpoints missing from docs/api.md: {missing}"


def test_every_chat_command_is_documented():
    documented = _read("commands.md")
    missing = [s.keyword for s in registry.specs() if f"`{s.keyword}" not in documented]
    assert not missing, f"commands missing from docs/commands.md: {missing}"


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text().splitlines()[:15]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)
    ci = (ROOT / ".ci/run").read_text()
    assert "make test" in ci
