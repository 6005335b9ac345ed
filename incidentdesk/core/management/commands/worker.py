import logging

from django.conf import settings
from django.core.management import call_command

from incidentdesk.core.cli import Command as CliCommand
from incidentdesk.core.errors import ValidationError


class Command(CliCommand):
    help = "Run the task worker (the Huey consumer) in the foreground, e.g. on another host."

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers",
            type=int,
            help="tasks run at once (default from settings: 2, or 4 with Redis)",
        )
        parser.add_argument(
            "--worker-type", choices=["thread", "process", "greenlet"], help="default: thread"
        )
        parser.add_argument(
            "--no-periodic", action="store_true", help="do not run periodic tasks on this worker"
        )

    def handle(self, *args, **options):
        if settings.HUEY.get("immediate"):
            raise ValidationError(
                "tasks run inline because INCIDENTDESK_TASKS_IMMEDIATE is on; "
                "unset it to use a worker",
                field="worker",
            )
        if options["workers"] is not None and options["workers"] < 1:
            raise ValidationError("must be at least 1", field="--workers")
        huey_options = {}
        if options["workers"] is not None:
            huey_options["workers"] = options["workers"]
        if options["worker_type"]:
            huey_options["worker_type"] = options["worker_type"]
        if options["no_periodic"]:
            huey_options["periodic"] = False
        # run_huey gives the "huey" logger its own handler; without this its lines would also
        # reach the root handler and be printed twice.
        logging.getLogger("huey").propagate = False
        call_command("run_huey", **huey_options)
