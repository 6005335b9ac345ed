from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.alerts import selectors, services
from incidentdesk.alerts.models import IntegrationKind
from incidentdesk.core.cli import SOURCE, format_when


class Command(CliCommand):
    help = "Manage alert integrations: integration create | list | revoke."

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        create = actions.add_parser(
            "create", help="create an integration and print its URL and key (shown only once)"
        )
        create.add_argument("--kind", required=True, choices=IntegrationKind.values)
        create.add_argument("--name", required=True, help="to recognise it later")
        create.add_argument(
            "--signed", action="store_true", help="grafana: require its HMAC signature"
        )
        self.add_actor_argument(create)

        listing = actions.add_parser("list", help="list integrations (never their key)")
        listing.add_argument("--json", action="store_true")
        self.add_actor_argument(listing)

        revoke = actions.add_parser("revoke", help="revoke an integration by its id")
        revoke.add_argument("integration_id", type=int, metavar="ID")
        self.add_actor_argument(revoke)

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options):
        integration, key = services.integration_create(
            actor=self.actor(options),
            source=SOURCE,
            kind=options["kind"],
            name=options["name"],
            signed=options["signed"],
        )
        self.stdout.write(f"url: {services.intake_url(integration, key)}")
        self.stdout.write(f"key: {key}")
        if integration.signed:
            self.stdout.write(f"signing secret: {integration.signing_secret()}")
        self.stderr.write("The key is shown only this once; keep it with the sender's config.")

    def _list(self, options):
        integrations = selectors.integrations_for(self.actor(options))
        if options["json"]:
            self.print_json([selectors.integration_data(i) for i in integrations])
            return
        rows = [
            (
                i.pk,
                i.kind,
                i.name,
                f"{i.key_id}…",
                format_when(i.created_at),
                "active" if i.is_active else f"revoked {format_when(i.revoked_at)}",
            )
            for i in integrations
        ]
        self.print_table(("ID", "KIND", "NAME", "KEY", "CREATED", "STATUS"), rows)

    def _revoke(self, options):
        integration = services.integration_revoke(
            actor=self.actor(options), source=SOURCE, integration_id=options["integration_id"]
        )
        self.stdout.write(f"Integration {integration.pk} ({integration.name}) is revoked.")
