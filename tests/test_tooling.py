"""The README's `make test` also lints and type-checks, with linters whose verdicts a new
release cannot change under us."""

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _dev_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = (Requirement(line) for line in project["optional-dependencies"]["dev"])
    return {req.name: req for req in found}


@pytest.mark.parametrize("name", ["ruff", "mypy", "django-stubs"])
def test_each_linter_is_held_below_its_next_minor_release(name):
    requirement = _dev_requirements()[name]
    lowest = min(Version(s.version) for s in requirement.specifier if s.operator == ">=")
    next_minor = Version(f"{lowest.major}.{lowest.minor + 1}")
    assert not requirement.specifier.contains(next_minor, prereleases=True), requirement


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_runs_ruff_and_mypy_over_the_whole_package_before_the_suite():
    planned = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()

    def step(command: str) -> int:
        found = [i for i, line in enumerate(planned) if line.strip().endswith(command)]
        assert found, f"make test does not run {command.lstrip('/')}"
        return found[0]

    lint = [step("/ruff check ."), step("/ruff format --check ."), step("/mypy incidentdesk")]
    assert max(lint) < step("/pytest")
