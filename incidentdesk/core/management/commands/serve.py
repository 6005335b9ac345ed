import os
import signal
import sys

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from incidentdesk.core.cli import Command as CliCommand
from incidentdesk.core.errors import ValidationError
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
        call_command("migrate", interactive=False, verbosity=0)
        # Static files are served by the web server itself (WhiteNoise) from STATIC_ROOT.
        call_command("collectstatic", interactive=False, verbosity=0)
        if options["demo"]:
            self._load_demo()
        from incidentdesk.accounts.models import User

        fresh = not User.objects.exists()
        # The children open their own connections; the supervisor should hold no database lock.
        connections.close_all()
        children = [_web(options)]
        if not options["no_worker"]:
            if settings.HUEY.get("immediate"):
                self.stdout.write(
                    "Tasks run inline (INCIDENTDESK_TASKS_IMMEDIATE is on): no worker started."
                )
            else:
                children.append(_worker())
        self._greet(options, fresh)
        env = {**os.environ, "INCIDENTDESK_DATA_DIR": str(settings.DATA_DIR)}
        env.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.config.settings")
        code = Supervisor(children, env, log=self._log).run()
        if code:
            sys.exit(code)

    def _load_demo(self):
        from incidentdesk.incidents.demo import DemoRefused, load_demo

        try:
            result = load_demo()
        except DemoRefused as exc:
            self.stdout.write(f"Demo sample not loaded: {exc.message}")
            return
        self.stdout.write(result.describe())

    def _greet(self, options, fresh):
        host = options["host"]
        shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
        url = f"http://{shown}:{options['port']}"
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


def _web(options) -> Child:
    host = options["host"]
    # granian: a Rust HTTP server in front of the WSGI app. Its HTTP handling costs a fraction
    # of a pure-Python server's, which matters for the status page during an outage.
    argv = [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", host.strip("[]"), "--port", str(options["port"]),
        "--workers", str(options["workers"]),
        "--blocking-threads", str(options["threads"]),
        "--respawn-failed-workers",
        "incidentdesk.config.wsgi:application",
    ]  # fmt: skip
    if options["access_log"]:
        argv.insert(-1, "--access-log")
    return Child("web server", argv, graceful=signal.SIGTERM, fast=signal.SIGINT)


def _worker() -> Child:
    # `worker` is djhuey's run_huey with the worker's logging set up once.
    argv = [sys.executable, "-m", "incidentdesk", "worker"]
    # Huey stops gracefully (finishing running tasks) on SIGINT; SIGTERM interrupts them.
    return Child("worker", argv, graceful=signal.SIGINT, fast=signal.SIGTERM)
