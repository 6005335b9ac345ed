import errno
import os
import signal
import socket
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from incidentdesk.config.settings import SERVED_AT_FILE, private_file
from incidentdesk.core.cli import EXIT_FAILURE
from incidentdesk.core.cli import Command as CliCommand
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.management import granian_server
from incidentdesk.core.management.supervisor import Child, Supervisor


class Command(CliCommand):
    help = "Run IncidentDesk: migrate, then start the web server (granian) and the worker (Huey)."
    requires_system_checks = "__all__"

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
        )
        parser.add_argument(
            "--port", type=int, default=8000, help="port to listen on (default 8000)"
        )
        parser.add_argument(
            "--workers", type=int, default=2, help="web worker processes (default 2)"
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="threads per web worker (default 1)"
        )
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")
        parser.add_argument(
            "--access-log", action="store_true", help="log every request to standard output"
        )
        parser.add_argument(
            "--demo", action="store_true", help="load the demo sample into an empty desk"
        )

    def handle(self, *args, **options):
        _check_numbers(options)
        # The port first: one in use is refused before anything is started or said.
        listener = _listen(options["host"], options["port"])
        _link_to(_address_url(options["host"], options["port"]))
        call_command("migrate", interactive=False, verbosity=0)
        # Static files are served by the web server itself (WhiteNoise) from STATIC_ROOT.
        call_command("collectstatic", interactive=False, verbosity=0)
        if options["demo"]:
            self._load_demo()
        from incidentdesk.accounts.models import User

        fresh = not User.objects.exists()
        # The children open their own connections; the supervisor should hold no database lock.
        connections.close_all()
        children = [_web(options, listener)]
        if not options["no_worker"]:
            if settings.HUEY.get("immediate"):
                self.stdout.write(
                    "Tasks run inline (INCIDENTDESK_TASKS_IMMEDIATE is on): no worker started."
                )
            else:
                children.append(_worker())
            if settings.MATRIX_BOT_TOKEN:
                children.append(_matrix_sync())
        self._greet(options, fresh)
        env = {**os.environ, "INCIDENTDESK_DATA_DIR": str(settings.DATA_DIR)}
        env.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.config.settings")
        code = Supervisor(children, env, log=self._log).run()
        if code:
            sys.exit(code)

    def _load_demo(self):
        from incidentdesk.config.demo import DemoRefused, load_demo

        try:
            result = load_demo()
        except DemoRefused as exc:
            self.stdout.write(f"Demo sample not loaded: {exc.message}")
            return
        self.stdout.write(result.describe())

    def _greet(self, options, fresh):
        url = f"http://{_shown(options['host'])}:{options['port']}"
        self.stdout.write(f"IncidentDesk is running at {url} — data in {settings.DATA_DIR}")
        if fresh:
            self.stdout.write("No accounts yet: the first visit creates the admin account.")
        self.stdout.write("Press Ctrl-C to stop.")
        self.stdout.flush()

    def _log(self, message):
        self.stdout.write(f"incidentdesk serve: {message}")
        self.stdout.flush()


def _check_numbers(options):
    if not 1 <= options["port"] <= 65535:
        raise ValidationError(f"{options['port']} is not a port (1-65535)", field="--port")
    for name in ("workers", "threads"):
        if options[name] < 1:
            raise ValidationError("must be at least 1", field=f"--{name}")


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket of the web server, bound here without SO_REUSEPORT so no other
    server can share the port (see core/management/granian_server.py); a port in use is refused."""
    name = host.strip("[]")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ValidationError(f"cannot listen on {host!r}: {exc.strerror}", field="--host") from exc
    listener = socket.socket(family, kind, proto)
    try:
        # Lets a restart bind while connections of the last run linger in TIME_WAIT; on Linux
        # it never lets two sockets listen on one port (unlike SO_REUSEPORT).
        if sys.platform.startswith("linux"):
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(granian_server.BACKLOG)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise CommandError(
                f"{_shown(host)}:{port} is already in use: stop what listens there or choose "
                "another --port",
                returncode=EXIT_FAILURE,
            ) from exc
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ValidationError(
                f"{host} is not an address of this machine", field="--host"
            ) from exc
        raise CommandError(
            f"cannot listen on {_shown(host)}:{port}: {exc.strerror}", returncode=EXIT_FAILURE
        ) from exc
    return listener


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


# A wildcard address is not one to link to: links then name this machine's loopback address
# (set INCIDENTDESK_BASE_URL for the name people use).
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1", "": "127.0.0.1"}


def _address_url(host: str, port: int) -> str:
    return f"http://{_shown(_WILDCARDS.get(host, host))}:{port}"


def _link_to(url: str) -> None:
    """With INCIDENTDESK_BASE_URL unset, links name the address serve listens on: kept in
    the data dir for the web server, the worker and later commands (settings reads it), and
    set for this process. (Documents rendered before name the old one until the worker's
    periodic refresh, which runs as it starts.)"""
    if os.environ.get("INCIDENTDESK_BASE_URL", "").strip():
        return
    try:
        before = SERVED_AT_FILE.read_text().strip()
    except OSError:
        before = ""
    if before != url:
        private_file(SERVED_AT_FILE)
        SERVED_AT_FILE.write_text(url + "\n")
    settings.BASE_URL = url


def _web(options, listener: socket.socket) -> Child:
    # granian: a Rust HTTP server in front of the WSGI app. Its HTTP handling costs a fraction
    # of a pure-Python server's, which matters for the status page during an outage. It serves
    # on the socket bound above (core/management/granian_server.py).
    argv = granian_server.argv(
        listener.fileno(),
        workers=options["workers"],
        threads=options["threads"],
        access_log=options["access_log"],
    )
    return Child("web server", argv, graceful=signal.SIGTERM, fast=signal.SIGINT, listener=listener)


def _worker() -> Child:
    # `worker` is djhuey's run_huey with the worker's logging set up once.
    argv = [sys.executable, "-m", "incidentdesk", "worker"]
    # Huey stops gracefully (finishing running tasks) on SIGINT; SIGTERM interrupts them.
    return Child("worker", argv, graceful=signal.SIGINT, fast=signal.SIGTERM)


def _matrix_sync() -> Child:
    # Matrix pushes nothing to us: the bot reads its homeserver's /sync (chat/matrix_sync.py).
    # A process of its own, like the worker, so the supervisor holds no database connection
    # and a stuck homeserver never slows the web server; it goes with the worker (a host that
    # runs its workers elsewhere, --no-worker, runs `incidentdesk chat sync` there, once).
    argv = [sys.executable, "-m", "incidentdesk", "chat", "sync"]
    # Either signal stops it between rounds, after a batch being stored.
    return Child("matrix sync", argv, graceful=signal.SIGTERM, fast=signal.SIGINT)
