import re

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE
from incidentdesk.core.errors import IncidentDeskError, ValidationError
from incidentdesk.oncall import calendar, selectors, services
from incidentdesk.oncall.models import RotationUnit
from incidentdesk.oncall.resolution import schedule_shifts

DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
# `mon-fri 09:00-17:00`, `sat,sun 00:00-24:00`, `1-5 9:00-17:30`
ONLY = re.compile(r"\s*(?P<days>[a-z0-9,\-]+)\s+(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})\s*")


class Command(CliCommand):
    help = (
        "Manage on-call schedules: schedule create | list | show | update | delete | "
        "layer-add | layer-remove | override-add | override-remove | shifts | calendar."
    )
    field_options = {
        "time_zone": "--time-zone",
        "description": "--description",
        "people": "--people",
        "rotation_start": "--start",
        "handoff_time": "--handoff",
        "rotation_length": "--length",
        "rotation_unit": "--unit",
        "position": "--position",
        "user": "--user",
        "start": "--start",
        "end": "--end",
    }

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        create = actions.add_parser("create", help="create a schedule (then add layers)")
        create.add_argument("name")
        create.add_argument("--time-zone", required=True, metavar="ZONE", help="e.g. Europe/Berlin")
        create.add_argument("--description", default="")
        self.add_actor_argument(create)

        listing = actions.add_parser("list", help="the schedules and who is on call now")
        listing.add_argument("--json", action="store_true")

        show = actions.add_parser("show", help="one schedule: layers, overrides, on call now")
        show.add_argument("schedule", metavar="SCHEDULE", help="its name or id")
        show.add_argument("--json", action="store_true")

        update = actions.add_parser("update", help="rename a schedule or change its zone")
        update.add_argument("schedule", metavar="SCHEDULE", help="its name or id")
        update.add_argument("--name")
        update.add_argument("--time-zone", metavar="ZONE")
        update.add_argument("--description")
        self.add_actor_argument(update)

        delete = actions.add_parser("delete", help="delete a schedule with its layers")
        delete.add_argument("schedule", metavar="SCHEDULE", help="its name or id")
        self.add_actor_argument(delete)

        layer = actions.add_parser("layer-add", help="add a layer on top (people taking turns)")
        layer.add_argument("schedule", metavar="SCHEDULE", help="its name or id")
        layer.add_argument(
            "--people", required=True, metavar="A,B,…", help="usernames, in turn, with commas"
        )
        layer.add_argument("--start", required=True, metavar="YYYY-MM-DD", help="first turn")
        layer.add_argument("--handoff", required=True, metavar="HH:MM", help="local hand-off time")
        layer.add_argument("--length", type=int, default=1, help="turn length (default 1)")
        layer.add_argument("--unit", default="days", choices=RotationUnit.values)
        layer.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="DAYS HH:MM-HH:MM",
            help="a restriction window, e.g. 'mon-fri 09:00-17:00' (repeat)",
        )
        layer.add_argument("--position", type=int, help="default: on top")
        layer.add_argument("--name", default="")
        self.add_actor_argument(layer)

        remove = actions.add_parser("layer-remove", help="remove a layer by its id")
        remove.add_argument("schedule", metavar="SCHEDULE", help="its name or id")
        remove.add_argument("layer_id", type=int, metavar="LAYER_ID")
        self.add_actor_argument(remove)

        override = actions.add_parser("override-add", help="put someone on call for a stretch")
        override.add_argument("schedule", metavar="SCHEDULE", help="its name or id")
        override.add_argument("--user", required=True, metavar="USERNAME")
        override.add_argument("--start", required=True, metavar="ISO", help="with its zone")
        override.add_argument("--end", required=True, metavar="ISO", help="with its zone")
        self.add_actor_argument(override)

        unoverride = actions.add_parser("override-remove", help="remove an override by its id")
        unoverride.add_argument("schedule", metavar="SCHEDULE", help="its name or id")
        unoverride.add_argument("override_id", type=int, metavar="OVERRIDE_ID")
        self.add_actor_argument(unoverride)

        shifts = actions.add_parser("shifts", help="the final shifts between two times")
        shifts.add_argument("schedule", metavar="SCHEDULE", help="its name or id")
        shifts.add_argument("--start", required=True, metavar="ISO")
        shifts.add_argument("--end", required=True, metavar="ISO")
        shifts.add_argument("--json", action="store_true")

        feed = actions.add_parser(
            "calendar", help="a schedule's secret iCalendar URL, or without one your own"
        )
        feed.add_argument("schedule", nargs="?", metavar="SCHEDULE", help="its name or id")
        feed.add_argument("--reset", action="store_true", help="make a new URL (the old stops)")
        self.add_actor_argument(feed)

    def handle(self, *args, **options):
        getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _create(self, options):
        schedule = services.schedule_create(
            actor=self.actor(options),
            source=SOURCE,
            name=options["name"],
            time_zone=options["time_zone"],
            description=options["description"],
        )
        self.stdout.write(f"Schedule {schedule.pk} ({schedule.name}) is created.")

    def _list(self, options):
        found = [selectors.schedule_data(s) for s in selectors.schedules()]
        if options["json"]:
            self.print_json(found)
            return
        rows = [
            (s["id"], s["name"], s["time_zone"], len(s["layers"]), ", ".join(s["on_call"]) or "-")
            for s in found
        ]
        self.print_table(("ID", "NAME", "TIME ZONE", "LAYERS", "ON CALL NOW"), rows)

    def _show(self, options):
        data = selectors.schedule_data(selectors.schedule_by_handle(options["schedule"]))
        if options["json"]:
            self.print_json(data)
            return
        self.stdout.write(f"{data['name']} ({data['time_zone']}), id {data['id']}")
        self.stdout.write(f"on call now: {', '.join(data['on_call']) or 'nobody'}")
        for layer in data["layers"]:
            only = selectors.restriction_words(layer["restrictions"])
            self.stdout.write(
                f"layer {layer['position']} (id {layer['id']}): {', '.join(layer['people'])}, "
                f"{layer['rotation_length']} {layer['rotation_unit']} from "
                f"{layer['rotation_start']} {layer['handoff_time']}"
                + (f", only {only}" if only else "")
            )
        for o in data["overrides"]:
            self.stdout.write(
                f"override {o['id']}: {o['user']} from {o['start'].isoformat()} "
                f"to {o['end'].isoformat()}"
            )

    def _update(self, options):
        schedule = services.schedule_update(
            actor=self.actor(options),
            source=SOURCE,
            schedule=selectors.schedule_by_handle(options["schedule"]),
            name=options["name"],
            time_zone=options["time_zone"],
            description=options["description"],
        )
        self.stdout.write(f"Schedule {schedule.pk} ({schedule.name}) is saved.")

    def _delete(self, options):
        actor = self.actor(options)
        schedule = selectors.schedule_by_handle(options["schedule"])
        services.schedule_delete(actor=actor, source=SOURCE, schedule=schedule)
        self.stdout.write(f"Schedule {schedule.pk} ({schedule.name}) is deleted.")

    def _layer_add(self, options):
        actor = self.actor(options)
        schedule = selectors.schedule_by_handle(options["schedule"])
        windows = [w for i, text in enumerate(options["only"]) for w in _only(text, i)]
        try:
            layer = services.layer_add(
                actor=actor,
                source=SOURCE,
                schedule=schedule,
                people=[p.strip() for p in options["people"].split(",") if p.strip()],
                rotation_start=options["start"],
                handoff_time=options["handoff"],
                rotation_length=options["length"],
                rotation_unit=options["unit"],
                restrictions=windows,
                position=options["position"],
                name=options["name"],
            )
        except IncidentDeskError as exc:
            if not (exc.field or "").startswith("restrictions"):
                raise
            raise type(exc)(exc.message, field="--only") from exc
        self.stdout.write(f"Layer {layer.position} (id {layer.pk}) is added to {schedule.name}.")

    def _layer_remove(self, options):
        actor = self.actor(options)
        schedule = selectors.schedule_by_handle(options["schedule"])
        layer = selectors.layer_of(schedule, options["layer_id"])
        services.layer_remove(actor=actor, source=SOURCE, layer=layer)
        self.stdout.write(f"Layer {layer.position} is removed from {schedule.name}.")

    def _override_add(self, options):
        actor = self.actor(options)
        schedule = selectors.schedule_by_handle(options["schedule"])
        override = services.override_add(
            actor=actor,
            source=SOURCE,
            schedule=schedule,
            user=options["user"],
            start=selectors.parse_at(options["start"], field="start"),
            end=selectors.parse_at(options["end"], field="end"),
        )
        self.stdout.write(f"Override {override.pk} ({override.user.username}) is added.")

    def _override_remove(self, options):
        actor = self.actor(options)
        schedule = selectors.schedule_by_handle(options["schedule"])
        override = selectors.override_of(schedule, options["override_id"])
        services.override_remove(actor=actor, source=SOURCE, override=override)
        self.stdout.write(f"Override {override.pk} is removed.")

    def _calendar(self, options):
        """The URL of the schedule named or, without one, of the acting person."""
        actor = self.actor(options)
        owner = (
            {"schedule": selectors.schedule_by_handle(options["schedule"])}
            if options["schedule"]
            else {"user": actor}
        )
        if options["reset"]:
            feed = services.calendar_feed_reset(actor=actor, source=SOURCE, **owner)
        else:
            feed = calendar.feed_for(**owner)
        self.stdout.write(calendar.feed_url(feed))

    def _shifts(self, options):
        schedule = selectors.schedule_by_handle(options["schedule"])
        start, end = selectors.parse_window(options["start"], options["end"])
        found = selectors.shifts_data(schedule_shifts(schedule, start, end))
        if options["json"]:
            self.print_json(found)
            return
        rows = [(s["user"], s["start"].isoformat(), s["end"].isoformat()) for s in found]
        self.print_table(("WHO", "FROM", "UNTIL"), rows)


def _only(text: str, index: int) -> list[dict]:
    """`mon-fri 09:00-17:00` → five windows; the service checks the times."""
    found = ONLY.fullmatch(text.lower())
    if found is None:
        raise ValidationError(
            f"{text!r} is not DAYS HH:MM-HH:MM (e.g. mon-fri 09:00-17:00)", field=f"--only[{index}]"
        )
    days: list[int] = []
    for part in found["days"].split(","):
        first, _, last = part.partition("-")
        low, high = _day(first, index), _day(last or first, index)
        if high < low:
            raise ValidationError(f"{part!r} runs backwards", field=f"--only[{index}]")
        days += range(low, high + 1)
    start, end = found["start"].zfill(5), found["end"].zfill(5)
    return [{"weekday": day, "start": start, "end": end} for day in dict.fromkeys(days)]


def _day(word: str, index: int) -> int:
    value = DAYS.get(word[:3]) if word[:3] in DAYS else (int(word) if word.isdigit() else None)
    if value is None or not 1 <= value <= 7:
        raise ValidationError(
            f"{word!r} is not a weekday (mon … sun or 1 … 7)", field=f"--only[{index}]"
        )
    return value
