from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.accounts.services import user_by_handle
from incidentdesk.core.cli import SOURCE
from incidentdesk.incidents import services
from incidentdesk.incidents.management.render import incident_or_error


class Command(CliCommand):
    help = "Invite a person into a restricted incident (they see it while invited), or withdraw it."

    def add_arguments(self, parser):
        parser.add_argument("reference", metavar="REF")
        parser.add_argument("person", metavar="PERSON", help="username or email")
        parser.add_argument(
            "--withdraw", action="store_true", help="withdraw the invitation instead"
        )
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        actor = self.actor(options)
        incident = incident_or_error(options["reference"], actor)
        user = user_by_handle(options["person"])
        change = services.incident_uninvite if options["withdraw"] else services.incident_invite
        change(actor=actor, source=SOURCE, incident=incident, user=user)
        done = "invitation withdrawn" if options["withdraw"] else "invited"
        self.stdout.write(f"{user.username}: {done} ({incident.reference})")
