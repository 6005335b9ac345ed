"""Run the web server and the worker as child processes and keep them together.

A stop signal (SIGINT or SIGTERM) is passed to every child as that child's graceful stop; a
second one asks for a fast stop. When one child exits on its own the others are stopped and
the supervisor reports failure, so a process manager (systemd, Docker) can restart the lot.
"""

import ctypes
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

GRACE_SECONDS = 30
POLL_SECONDS = 0.2


@dataclass
class Child:
    name: str
    argv: list[str]
    graceful: signal.Signals = signal.SIGTERM
    fast: signal.Signals = signal.SIGINT
    # A socket handed down to the child (same descriptor number); the child owns it once started.
    listener: socket.socket | None = field(default=None, repr=False)
    process: subprocess.Popen | None = field(default=None, repr=False)


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the child if the supervisor itself is killed (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the children are then only stopped by a normal stop
        pass


class Supervisor:
    def __init__(self, children: list[Child], env: dict[str, str], log: Callable[[str], None]):
        self.children = children
        self.env = env
        self.log = log
        self.signals_received = 0

    def start(self) -> None:
        for child in self.children:
            # A session of its own: a Ctrl-C in the terminal reaches only the supervisor, which
            # passes each child the signal that stops it gracefully, once.
            child.process = subprocess.Popen(
                child.argv,
                env=self.env,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                pass_fds=(child.listener.fileno(),) if child.listener else (),
            )
            if child.listener:
                # Closed here, so the port is free again as soon as the child is gone.
                child.listener.close()

    def run(self) -> int:
        """Start the children and wait; return 0 after a requested stop, non-zero otherwise."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self.start()
            return self._watch()
        finally:
            self._stop_all(fast=False)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum, frame) -> None:
        # Only flags and kill(2) here: printing from a signal handler can re-enter the stream.
        self.signals_received += 1
        self._signal_all(fast=self.signals_received > 1)

    def _watch(self) -> int:
        while True:
            if self.signals_received:
                self.log("stopping")
                self._wait_all()
                return 0
            for child in self.children:
                code = child.process.poll() if child.process else None
                if code is not None:
                    self.log(f"{child.name} exited with code {code}; stopping the rest")
                    self._stop_all(fast=False)
                    return code if code > 0 else 1  # killed by a signal: still a failure
            time.sleep(POLL_SECONDS)

    def _signal_all(self, *, fast: bool) -> None:
        for child in self.children:
            if child.process and child.process.poll() is None:
                child.process.send_signal(child.fast if fast else child.graceful)

    def _stop_all(self, *, fast: bool) -> None:
        self._signal_all(fast=fast)
        self._wait_all()

    def _wait_all(self) -> None:
        deadline = time.monotonic() + GRACE_SECONDS
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.log(f"{child.name} did not stop within {GRACE_SECONDS}s; killing it")
                child.process.kill()
                child.process.wait()
