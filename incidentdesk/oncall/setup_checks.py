"""Paging's item of the set-up checklist (incidents/setup_checks.py): can anyone be paged?
An escalation policy says who is paged, and a contact method how they are reached."""

from django.urls import reverse

from incidentdesk.incidents import setup_checks
from incidentdesk.incidents.setup_checks import Result
from incidentdesk.oncall.models import ContactMethod, EscalationPolicy, Schedule


def paging() -> Result:
    if not EscalationPolicy.objects.exists():
        schedules = Schedule.objects.exists()
        return Result(
            False,
            "Nobody can be paged: there is no escalation policy"
            + ("." if schedules else " and no on-call schedule."),
            todo="Add an on-call schedule, then an escalation policy that pages it."
            if not schedules
            else "Add an escalation policy that pages your on-call schedule.",
            url=reverse("oncall_policies" if schedules else "oncall_schedules"),
            link="escalation policies" if schedules else "on-call schedules",
            doc="docs/oncall.md",
        )
    if not ContactMethod.objects.exists():
        return Result(
            False,
            "No one has a contact method: a page reaches nobody.",
            todo="Each person on call adds how they are reached (email, push, SMS…).",
            url=reverse("oncall_contact_methods"),
            link="contact methods",
            doc="docs/oncall.md",
        )
    default = EscalationPolicy.objects.filter(is_default=True).first()
    policies = EscalationPolicy.objects.count()
    says = f"{policies} escalation polic{'y' if policies == 1 else 'ies'}"
    says += f", the default {default.name!r}." if default else ", none of them the default."
    return Result(True, says)


setup_checks.register("paging", title="Paging", check=paging, order=50)
