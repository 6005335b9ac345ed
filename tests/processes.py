"""Running real `incidentdesk` processes from tests."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def incidentdesk(
    env, *args: str, stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run `python -m incidentdesk …` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "incidentdesk", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(env["INCIDENTDESK_DATA_DIR"]).parent,
    )


def wait_for(check, *, seconds: float, what: str, every: float = 0.05):
    """Poll `check` until it returns something truthy, or fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    pytest.fail(f"timed out after {seconds}s waiting for {what}")
