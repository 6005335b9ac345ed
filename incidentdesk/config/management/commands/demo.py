from incidentdesk.config.demo import load_demo
from incidentdesk.core.cli import Command as CliCommand


class Command(CliCommand):
    help = (
        "Load the demo sample (accounts, components, open and past incidents) into an empty desk."
    )

    def handle(self, *args, **options):
        self.stdout.write(load_demo().describe())
