from django.utils import timezone

from incidentdesk.accounts.models import Role, User
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import (
    ActionItem,
    Component,
    Incident,
    IncidentKind,
    IncidentRole,
    IncidentStatus,
    TimelineEntry,
)
from incidentdesk.oncall.models import EscalationPolicy, Page, Schedule
from incidentdesk.oncall.resolution import on_call_at


def test_the_demo_fills_an_empty_desk_through_the_services(cli):
    run = cli("demo")
    assert run.code == 0, run.err
    assert "Sign in as 'admin' with password" in run.out
    password = run.out.split("with password ")[1].split()[0]
    assert User.objects.get(username="admin").check_password(password)
    roles = {u.username: u.effective_role for u in User.objects.all()}
    assert roles == {
        "admin": Role.ADMIN, "sam": Role.RESPONDER, "priya": Role.RESPONDER,
        "marco": Role.MANAGER, "vera": Role.VIEWER,
    }  # fmt: skip
    groups = Component.objects.filter(group__isnull=True, children__isnull=False).distinct()
    assert sorted(g.name for g in groups) == ["Customer-facing", "Platform"]
    assert Component.objects.filter(group__isnull=False).count() >= 6
    assert Incident.objects.open().count() == 3
    assert Incident.objects.filter(status=IncidentStatus.CLOSED).count() == 2
    assert set(TimelineEntry.objects.values_list("source", flat=True)) == {ActionSource.CLI}


def test_demo_incidents_have_roles_back_dated_notes_and_an_overdue_action(cli):
    cli("demo")
    for incident in Incident.objects.open():
        assert incident.role_history.filter(role=IncidentRole.LEAD).exists()
    assert ActionItem.objects.overdue().count() == 1
    back_dated = TimelineEntry.objects.filter(
        occurred_at__lt=Incident.objects.open().first().declared_at
    )
    assert back_dated.exists()


def test_the_retrospective_demo_incident_has_meaningful_times(cli):
    cli("demo")
    retro = Incident.objects.get(kind=IncidentKind.RETROSPECTIVE)
    assert retro.started_at < retro.detected_at < retro.resolved_at
    shown = cli("show", retro.reference).out
    assert "time to detect   2 days" in shown
    assert "unknown" not in shown.split("Key times")[1].split("Action items")[0]


def test_the_demo_refuses_when_incidents_exist(cli):
    cli("demo")
    before = Incident.objects.count()
    run = cli("demo")
    assert run.code == 2
    assert run.err.startswith("error: demo: 7 incident(s) already exist")
    assert Incident.objects.count() == before


def test_the_demo_records_as_an_existing_admin(cli, admin):
    run = cli("demo")
    assert run.code == 0, run.err
    assert "Recorded as your admin 'admin'" in run.out
    assert not User.objects.filter(username="admin").exclude(pk=admin.pk).exists()
    assert Incident.objects.filter(created_by__username="sam").exists()


def test_the_demo_fills_the_public_status_page_without_internal_words(db):
    from incidentdesk.config.demo import load_demo
    from incidentdesk.statuspage.models import PublicIncident

    load_demo()
    published = PublicIncident.objects.incidents().get()
    assert published.name != published.incident.title
    assert PublicIncident.objects.maintenances().filter(status="scheduled").exists()


def test_the_demo_has_someone_on_call_and_a_default_policy_but_pages_nobody(cli):
    assert cli("demo").code == 0
    schedule = Schedule.objects.get(name="Primary")
    assert len(on_call_at(schedule, timezone.now())) == 1
    policy = EscalationPolicy.objects.get(is_default=True)
    assert [step.target for step in policy.steps.all()] == ["schedule", "person"]
    assert not Page.objects.exists()  # the stories were replayed before on-call existed
