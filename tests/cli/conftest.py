import io
import os
import sys
from dataclasses import dataclass

import pytest
from django.core.management import get_commands, load_command_class


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(db, capsys, monkeypatch):
    """`cli("declare", "--title", …, stdin="…")` runs a command the way the `incidentdesk`
    console script does (argument parsing, error mapping, exit code), inside the test's
    database transaction, and returns its exit code and output."""
    monkeypatch.delenv("INCIDENTDESK_USER", raising=False)

    def run(name: str, *args: str, stdin: str | None = None) -> Run:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        command = load_command_class(get_commands()[name], name)
        try:
            command.run_from_argv(["incidentdesk", name, *args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def own_env(tmp_path) -> dict[str, str]:
    """The environment of a real `incidentdesk` process with its own data dir and a real
    task queue (not the inline one the in-process tests use)."""
    # Its own SQLite file, whatever database the suite runs on: a child process must never
    # write into the suite's configured server database.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "INCIDENTDESK_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        INCIDENTDESK_DATA_DIR=str(tmp_path / "data"),
        INCIDENTDESK_TASKS_IMMEDIATE="0",
        DJANGO_SETTINGS_MODULE="incidentdesk.config.settings",
        PYTHONUNBUFFERED="1",
    )
    return env
