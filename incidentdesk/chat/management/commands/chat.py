"""`incidentdesk chat <action>`: the chat layer's long-running doors and tools.

Each action is a method that adds its parser (called from `add_arguments`) and a `_<action>`
that runs it (dashes become underscores): another action joins with two methods and one line.
"""

import signal
import threading

from django.conf import settings

from incidentdesk.chat import matrix_sync, registry, transcripts
from incidentdesk.chat import socket_mode as socket
from incidentdesk.core.cli import Command as CliCommand
from incidentdesk.core.errors import ValidationError


class Command(CliCommand):
    help = (
        "Chat: slack-socket (receive from Slack over Socket Mode when Slack cannot reach us), "
        "sync (read from Matrix)."
    )

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        self.add_slack_socket(actions)
        self.add_sync(actions)
        self.add_purge_transcripts(actions)

    def handle(self, *args, **options):
        getattr(self, "_" + options["action"].replace("-", "_"))(options)

    # slack-socket -------------------------------------------------------------------------

    def add_slack_socket(self, actions):
        actions.add_parser(
            "slack-socket",
            help="receive Slack's events, slash commands and forms over Socket Mode "
            "(needs SLACK_APP_TOKEN; runs until stopped)",
        )

    def _slack_socket(self, options):
        if not settings.SLACK_APP_TOKEN:
            raise ValidationError(
                "is not set; give the app-level token (xapp-…) Slack made for Socket Mode",
                field="SLACK_APP_TOKEN",
            )
        platform = registry.platform("slack")  # NotFound when SLACK_BOT_TOKEN is not set
        stop = threading.Event()
        stopping = (signal.SIGINT, signal.SIGTERM)
        before = {number: signal.signal(number, lambda *_: stop.set()) for number in stopping}
        self.stderr.write("receiving from Slack over Socket Mode; Ctrl-C stops")
        try:
            socket.run(platform, settings.SLACK_APP_TOKEN, stop=stop)
        finally:
            for number, handler in before.items():
                signal.signal(number, handler)

    # sync ---------------------------------------------------------------------------------

    def add_sync(self, actions):
        sync = actions.add_parser(
            "sync",
            help="read from Matrix: long-poll the homeserver's /sync and act on what comes "
            "(needs MATRIX_BOT_TOKEN; runs until stopped; serve starts it)",
        )
        sync.add_argument(
            "--once", action="store_true", help="one round (the first start's, or one poll)"
        )
        sync.add_argument(
            "--wait",
            type=int,
            default=matrix_sync.WAIT_MS,
            metavar="MS",
            help=f"how long one poll waits for something new (default {matrix_sync.WAIT_MS})",
        )

    def _sync(self, options):
        if not 0 <= options["wait"] <= 300_000:
            raise ValidationError("must be from 0 to 300000 milliseconds", field="--wait")
        if "matrix" not in registry.platform_kinds():
            raise ValidationError(
                "is not set; give the Matrix bot's access token (see docs/chat.md)",
                field="MATRIX_BOT_TOKEN",
            )
        worker = matrix_sync.SyncWorker(registry.platform("matrix"), wait_ms=options["wait"])
        if options["once"]:
            new = worker.step()
            self.stdout.write(f"{new} new event{'' if new == 1 else 's'}")
            return
        # The loop runs in a thread so a stop need not wait for the poll in flight: the main
        # thread waits for a signal, then only for a batch being stored.
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        loop = threading.Thread(target=worker.run, name="matrix-sync", daemon=True)
        loop.start()
        self.stderr.write("reading from Matrix; Ctrl-C stops")
        while loop.is_alive() and not stop.wait(1):
            pass
        worker.halt()

    # purge-transcripts --------------------------------------------------------------------

    def add_purge_transcripts(self, actions):
        actions.add_parser(
            "purge-transcripts",
            help="delete now the transcripts of incidents closed longer ago than the retention "
            "period (what the worker does daily; pinned entries stay on the timeline)",
        )

    def _purge_transcripts(self, options):
        purged = transcripts.transcripts_purge()  # as the daily task: the system's own job
        for link in purged:
            where = f"#{link.name}" if link.name else link.conversation
            self.stdout.write(f"{link.incident.reference}: {link.platform} {where} purged")
        self.stdout.write(f"{len(purged)} transcript{'' if len(purged) == 1 else 's'} purged")
