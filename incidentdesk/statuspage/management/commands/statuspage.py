import time

from django.core.management.base import CommandError

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import EXIT_FAILURE, SOURCE
from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.incidents.management.render import incident_or_error
from incidentdesk.statuspage import services
from incidentdesk.statuspage.appearance import LOGO_MAX_BYTES, page_settings_set
from incidentdesk.statuspage.models import PageSettings, PublicIncident


def _components(pairs: list[str]) -> dict[str, str]:
    """`NAME=STATUS` options into {name: status}."""
    result = {}
    for pair in pairs:
        name, eq, status = pair.rpartition("=")
        if not eq or not name.strip():
            raise ValidationError(f"{pair!r} is not NAME=STATUS", field="--component")
        result[name.strip()] = status.strip()
    return result


def _new_component(options) -> dict | None:
    """`--new-component NAME[=STATUS]` and `--new-component-group GROUP` as the service's
    `new_component`."""
    if not options["new_component"]:
        return None
    name, eq, status = options["new_component"].rpartition("=")
    if not eq:
        name, status = status, ""
    return {"name": name, "group": options["new_component_group"], "status": status}


class Command(CliCommand):
    help = "The public status page: publish | update | resolve | show | banner | page | export."

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        publish = actions.add_parser("publish", help="publish an incident on the status page")
        publish.add_argument("reference", metavar="REF")
        publish.add_argument("--name", required=True, help="the public name (never the title)")
        publish.add_argument("--message", required=True)
        publish.add_argument("--status", default="identified")
        publish.add_argument("--component", action="append", default=[], metavar="NAME=STATUS")
        publish.add_argument("--impact")
        publish.add_argument("--workaround", default="")
        publish.add_argument("--workaround-url", default="")
        publish.add_argument("--no-notify", action="store_true", help="don't tell subscribers")
        publish.add_argument(
            "--no-remind", action="store_true", help="no reminders to post updates"
        )
        publish.add_argument(
            "--remind-every",
            type=int,
            default=None,
            metavar="MINUTES",
            help="reminder interval (default: the incident's severity's)",
        )
        publish.add_argument(
            "--new-component",
            metavar="NAME[=STATUS]",
            help="add a component to the catalog and to this publication (managers)",
        )
        publish.add_argument("--new-component-group", metavar="GROUP", help="its group")
        self.add_actor_argument(publish)

        update = actions.add_parser("update", help="post an update to a published incident")
        update.add_argument("reference", metavar="REF")
        update.add_argument("--message", required=True)
        update.add_argument("--status")
        update.add_argument("--component", action="append", default=[], metavar="NAME=STATUS")
        update.add_argument("--no-notify", action="store_true")
        self.add_actor_argument(update)

        resolve = actions.add_parser("resolve", help="resolve a published incident")
        resolve.add_argument("reference", metavar="REF")
        resolve.add_argument("--message", required=True)
        resolve.add_argument(
            "--keep-components", action="store_true", help="leave them as they are"
        )
        self.add_actor_argument(resolve)

        show = actions.add_parser("show", help="what the public sees of an incident")
        show.add_argument("reference", metavar="REF")
        self.add_actor_argument(show)

        banner = actions.add_parser("banner", help="show or hide the site-wide banner")
        banner.add_argument("--message", default="")
        banner.add_argument("--kind", default="info", help="info, maintenance or read_only")
        banner.add_argument("--off", action="store_true", help="hide it")
        self.add_actor_argument(banner)

        page = actions.add_parser("page", help="show or set the public page's name and logo")
        page.add_argument("--name", help="the page name shown on every public page")
        page.add_argument("--logo", metavar="FILE", help="a PNG, JPEG or WebP image (max 1 MB)")
        page.add_argument("--no-logo", action="store_true", help="remove the logo")
        self.add_actor_argument(page)

        export = actions.add_parser("export", help="write the public site as static files")
        export.add_argument("directory", metavar="DIR")
        export.add_argument(
            "--watch", action="store_true", help="keep DIR up to date until stopped"
        )

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _publication(self, reference: str, options) -> PublicIncident:
        incident = incident_or_error(reference, self.viewer(options))
        publication = PublicIncident.objects.filter(incident=incident).first()
        if publication is None:
            raise NotFound(f"{incident.reference} is not published", field="REF")
        return publication

    def _publish(self, options):
        publication = services.publication_create(
            actor=self.actor(options),
            source=SOURCE,
            incident=incident_or_error(options["reference"], self.viewer(options)),
            name=options["name"],
            message=options["message"],
            status=options["status"],
            components=_components(options["component"]),
            impact=options["impact"],
            workaround=options["workaround"],
            workaround_url=options["workaround_url"],
            notify_subscribers=not options["no_notify"],
            remind=not options["no_remind"],
            remind_interval_minutes=options["remind_every"],
            new_component=_new_component(options),
        )
        self.stdout.write(f"published: /incidents/{publication.public_id} ({publication.status})")

    def _update(self, options):
        update = services.publication_update(
            actor=self.actor(options),
            source=SOURCE,
            public_incident=self._publication(options["reference"], options),
            message=options["message"],
            status=options["status"],
            components=_components(options["component"]) or None,
            notify=not options["no_notify"],
        )
        self.stdout.write(f"posted ({update.status})")

    def _resolve(self, options):
        services.publication_resolve(
            actor=self.actor(options),
            source=SOURCE,
            public_incident=self._publication(options["reference"], options),
            message=options["message"],
            restore_components=not options["keep_components"],
        )
        self.stdout.write("resolved on the status page")

    def _show(self, options):
        publication = self._publication(options["reference"], options)
        self.stdout.write(f"{publication.name} — {publication.status}, impact {publication.impact}")
        self.stdout.write(f"public page: /incidents/{publication.public_id}")
        for update in publication.updates.all():
            self.stdout.write(
                f"  {update.display_at:%Y-%m-%d %H:%M} {update.status}: {update.body}"
            )

    def _banner(self, options):
        page = services.banner_set(
            actor=self.actor(options),
            source=SOURCE,
            active=not options["off"],
            message=options["message"],
            kind=options["kind"],
        )
        self.stdout.write(f"banner {'shown' if page.banner_active else 'hidden'}")

    def _page(self, options):
        logo = None
        if options["logo"]:
            try:
                with open(options["logo"], "rb") as handle:
                    logo = handle.read(LOGO_MAX_BYTES + 1)
            except OSError as exc:
                raise ValidationError(
                    f"cannot read {options['logo']}: {exc.strerror}", field="logo"
                ) from None
        if options["name"] is not None or logo is not None or options["no_logo"]:
            page_settings_set(
                actor=self.actor(options),
                source=SOURCE,
                name=options["name"],
                logo=logo,
                remove_logo=options["no_logo"],
            )
        page = PageSettings.load()
        self.stdout.write(f"name: {page.name}")
        if page.logo_format:
            self.stdout.write(f"logo: {page.logo_path} ({page.logo_width}×{page.logo_height})")
        else:
            self.stdout.write("logo: none")

    def _export(self, options):
        from incidentdesk.statuspage.public_site import export_site
        from incidentdesk.statuspage.store import latest_version

        export_site(options["directory"])  # renders first, so the files are current
        self.stdout.write(f"exported the public site to {options['directory']}")
        if not options["watch"]:
            failed = _failed_documents()
            if failed:
                raise CommandError(failed, returncode=EXIT_FAILURE)
            return
        self.stdout.write("watching for changes (Ctrl-C to stop)")
        seen, reported = latest_version(), ""
        try:
            while True:
                failed = _failed_documents()
                if failed and failed != reported:
                    self.stderr.write(f"warning: {failed}")
                reported = failed
                time.sleep(1)
                version = latest_version()
                if version != seen:
                    seen = version
                    export_site(options["directory"], render=False)
        except KeyboardInterrupt:
            return


def _failed_documents() -> str:
    """One line naming the public documents whose last render failed, and why; empty when
    none did."""
    from incidentdesk.statuspage.render_failures import failing_documents

    failures = failing_documents()
    if not failures:
        return ""
    reasons = "; ".join(f"{f.path}: {f.error}" for f in failures)
    return (
        f"{len(failures)} public document(s) failed to render, so their last good version "
        f"was exported: {reasons}"
    )
