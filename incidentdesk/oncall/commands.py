"""The on-call commands of the command language (incidents/commands.py), registered when
OncallConfig.ready() imports this module:

    oncall [schedule]   who is on call now, and until when (every schedule without one)
"""

from zoneinfo import ZoneInfo

from django.utils import timezone

from incidentdesk.incidents.commands import CommandCall, CommandResult, CommandSpec, register
from incidentdesk.oncall import selectors


def _until(entry: dict, zone: str) -> str:
    if entry["until"] is None:
        return "for 90 days or more"
    local = entry["until"].astimezone(ZoneInfo(zone))
    return f"until {local:%a %d %b %H:%M} ({zone})"


def on_call_words(answer: dict) -> str:
    """`Primary: ana until Mon 30 Mar 09:00 (Europe/Berlin)`, or `Primary: nobody`."""
    zone = answer["schedule"]["time_zone"]
    people = [f"{e['user']} {_until(e, zone)}" for e in answer["on_call"]]
    return f"{answer['schedule']['name']}: {', '.join(people) or 'nobody'}"


def oncall_command(call: CommandCall) -> CommandResult:
    """Who is on call now in the schedule named (by name or id), or in every schedule. Reads
    only: nothing is written to the incident."""
    now = timezone.now()
    if call.argument:
        schedules = [selectors.schedule_by_handle(call.argument)]
    else:
        schedules = list(selectors.schedules())
    if not schedules:
        return CommandResult("There is no on-call schedule yet.", call.incident)
    lines = [on_call_words(selectors.on_call_data(s, now)) for s in schedules]
    return CommandResult("On call now:\n" + "\n".join(lines), call.incident)


register(
    CommandSpec(
        "oncall",
        "[schedule]",
        False,
        "who is on call now, and until when (every schedule, or the one named)",
        oncall_command,
        None,
        order=97,  # after page and ack
    )
)
