"""Every page of the desk passes axe-core, signed in and public, in light and dark.

The demo's story plus a few things it does not tell (alerts and their routes, reports by mail,
paging, a disaster with a runbook) give every page something to show. Each named route of the
site is either a page visited here or listed, with the reason, as something else (a write, a
feed, a webhook): a new page cannot be added without being checked.
"""

import json
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from incidentdesk.accounts.models import User
from incidentdesk.alerts import reports
from incidentdesk.alerts.models import AlertGroup, Report, Route
from incidentdesk.alerts.routes import route_create
from incidentdesk.alerts.services import alerts_receive, integration_create
from incidentdesk.alerts.sources.base import AlertInput
from incidentdesk.config.demo import load_demo
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident, IncidentStatus
from incidentdesk.oncall.contacts import contact_method_add
from incidentdesk.oncall.models import EscalationPolicy, Schedule
from incidentdesk.oncall.paging import page_create
from incidentdesk.oncall.policies import policy_create
from incidentdesk.postmortems.models import Postmortem
from incidentdesk.recovery.models import RunbookTemplate, System
from incidentdesk.recovery.runbooks import runbook_template_create
from incidentdesk.recovery.services import disaster_declare
from incidentdesk.recovery.systems import system_create
from incidentdesk.statuspage.models import PublicIncident
from tests.alerts import mails
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import violations
from tests.browser.test_disaster_flow import _built_in_terms_and_templates  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CLI = ActionSource.CLI

# Routes that are not pages a person reads: what they are instead.
NOT_PAGES = {
    "healthz": "a health check for load balancers (text)",
    "metrics": "Prometheus metrics (text)",
    "incident_live": "the incident page's live refresh (204 or its changed parts)",
    "listing_live": "the dashboard's and the list's live refresh",
    "incident_similar_preview": "a fragment of the declare page (tests/browser/test_similar.py)",
    "status_logo": "the status page's logo (an image)",
    "statuspage_page_settings": "a write (POST)",
    "logout": "a write (POST)",
    "postmortem_meeting": "a write (POST)",
    "user_create": "a write (POST)",
    "user_update": "a write (POST)",
    "token_create": "a write (POST)",
    "statuspage_maintenance_create": "a write (POST)",
    "alert_integration_create": "a write (POST)",
    "oncall_schedule_create": "a write (POST)",
    "oncall_schedule_update": "a write (POST)",
    "setup": "the first-run page, only before any account exists (tests/accounts)",
    "incident_timeline": "the timeline panel's htmx fragment (drawn inside the incident page)",
    "postmortem_preview": "a markdown preview fragment",
    "postmortem_export": "a download (Markdown/PDF)",
    "postmortem_meeting_ics": "a calendar file",
    "oncall_calendar_feed": "a calendar feed",
    "status_feed_atom": "a feed",
    "status_feed_rss": "a feed",
    "status_api_v2": "JSON",
    "status_index_json": "JSON",
    "alerts_intake": "a webhook",
    "alerts_pagerduty_enqueue": "a webhook",
    "chat_slack_events": "a webhook",
    "chat_slack_commands": "a webhook",
    "chat_slack_interactions": "a webhook",
}
WRITE_WORDS = (
    "acknowledge",
    "_ack",
    "resolve",
    "revoke",
    "delete",
    "move",
    "remove",
    "retry",
    "reset",
    "assign",
    "release",
    "invite",
    "uninvite",
    "status",
    "_add",
    "_edit",
    "_pin",
    "_save",
    "escalate",
    "accept",
    "decline",
    "_run",
    "_update",
    "planned_work",
    "_resume",
    "publish",
    "post_update",
    "banner",
    "link",
    "unlink",
    "declare",
    "attach",
    "dismiss",
    "start",
    "followup",
    "went_well",
    "feedback",
    "command",
    "page_lead",
    "_cancel",
    "import",
    "_review",
)


def _route_names() -> set[str]:
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith(("admin/", "api/v1/")):
                    continue
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern.name

    return set(walk(get_resolver().url_patterns))


def _world(admin: User) -> dict:
    """The demo, and what it leaves out."""
    load_demo(source=CLI)
    now = timezone.now()
    policy_create(
        actor=admin,
        source=CLI,
        name="Checkout on-call",
        steps=[{"target": "person", "person": admin, "wait_minutes": 5}],
    )
    contact_method_add(
        actor=admin, source=CLI, user=admin, kind="email", address="admin@example.com"
    )
    unanswered = page_create(actor=admin, source=CLI, person=admin, summary="Disk full on db-2")
    prod, _ = integration_create(actor=admin, source=CLI, kind="alertmanager", name="prod")
    route_create(
        actor=admin,
        source=CLI,
        name="Disks",
        action="record",
        matchers=[{"label": "alertname", "op": "=", "value": "DiskFull"}],
    )
    alerts_receive(
        integration=prod,
        alerts=[
            AlertInput(
                key="fp1",
                group_key='{}:{alertname="DiskFull"}',
                status="firing",
                summary="Disk 95% full on db-1",
                labels={"alertname": "DiskFull", "instance": "db-1:9100"},
                starts_at=now - timedelta(minutes=9),
            )
        ],
        received_at=now,
    )
    mailbox, _ = integration_create(actor=admin, source=CLI, kind="email", name="help")
    reports.report_receive(integration=mailbox, raw=mails.with_attachments())
    system = system_create(
        actor=admin, source=CLI, name="Billing", owner=admin, rto_minutes=60, rpo_minutes=15
    )
    runbook_template_create(
        actor=admin,
        source=CLI,
        name="Restore billing",
        system=system,
        steps=[
            {"title": "Restore the database from the last backup"},
            {"title": "A test invoice goes through", "kind": "verification"},
        ],
    )
    open_incidents = Incident.objects.exclude(
        status__in=[IncidentStatus.RESOLVED, IncidentStatus.CLOSED]
    ).order_by("pk")
    disaster_declare(
        actor=admin, source=CLI, incident=open_incidents.first(), systems=[system], drill=True
    )
    return {"page": unanswered}


def _pages(world: dict) -> dict[str, str]:
    """Each page's path, from what the world holds."""
    incident = Incident.objects.exclude(status=IncidentStatus.CLOSED).order_by("pk").first()
    resolved = Incident.objects.filter(status=IncidentStatus.RESOLVED).order_by("pk").first()
    postmortem = Postmortem.objects.order_by("pk").first()
    publication = PublicIncident.objects.order_by("pk").first()
    disaster_incident = Incident.objects.filter(disaster__isnull=False).first()
    schedule = Schedule.objects.order_by("pk").first()
    policy = EscalationPolicy.objects.order_by("pk").first()
    route = Route.objects.order_by("pk").first()
    ref = {"reference": incident.reference}
    pages = {
        "status_home": reverse("status_home"),
        "status_history": reverse("status_history"),
        "status_history_page": reverse("status_history_page", args=[1]),
        "status_incident": reverse("status_incident", args=[publication.public_id]),
        "status_subscribe": reverse("status_subscribe"),
        "status_subscribe_confirm": reverse("status_subscribe_confirm", args=["not-a-token"]),
        "status_unsubscribe": reverse("status_unsubscribe", args=["not-a-token"]),
        "webhook_documentation": reverse("webhook_documentation"),
        "page_acknowledge_link": reverse("page_acknowledge_link", args=["not-a-token"]),
        "login": reverse("login"),
        "dashboard": reverse("dashboard"),
        "incident_list": reverse("incident_list"),
        "incident_declare": reverse("incident_declare"),
        "incident_detail": reverse("incident_detail", kwargs=ref),
        "incident_detail resolved": reverse("incident_detail", args=[resolved.reference]),
        "postmortem_page": reverse("postmortem_page", args=[postmortem.incident.reference]),
        "chat_transcript": reverse("chat_transcript", kwargs=ref),
        "disaster_room": reverse("disaster_room", args=[disaster_incident.reference]),
        "recovery_systems": reverse("recovery_systems"),
        "recovery_system": reverse("recovery_system", args=[System.objects.get().pk]),
        "recovery_runbooks": reverse("recovery_runbooks"),
        "recovery_runbook_new": reverse("recovery_runbook_new"),
        "recovery_runbook": reverse(
            "recovery_runbook", args=[RunbookTemplate.objects.order_by("pk").first().pk]
        ),
        "insights": reverse("insights"),
        "search": reverse("search") + "?q=checkout",
        "search nothing found": reverse("search") + "?q=zebra",
        "incident_similar": reverse("incident_similar", kwargs=ref),
        "catalog": reverse("catalog"),
        "user_list": reverse("user_list"),
        "token_list": reverse("token_list"),
        "statuspage_overview": reverse("statuspage_overview"),
        "notification_deliveries": reverse("notification_deliveries"),
        "notification_subscribers": reverse("notification_subscribers"),
        "chat_admin": reverse("chat_admin"),
        "alert_groups": reverse("alert_groups"),
        "alert_group": reverse("alert_group", args=[AlertGroup.objects.order_by("pk").first().pk]),
        "alert_integrations": reverse("alert_integrations"),
        "alert_routes": reverse("alert_routes"),
        "alert_route_new": reverse("alert_route_new"),
        "alert_route_edit": reverse("alert_route_edit", args=[route.pk]),
        "alert_reports": reverse("alert_reports"),
        "alert_report": reverse("alert_report", args=[Report.objects.order_by("pk").first().pk]),
        "oncall_policies": reverse("oncall_policies"),
        "oncall_policy_new": reverse("oncall_policy_new"),
        "oncall_policy_edit": reverse("oncall_policy_edit", args=[policy.pk]),
        "oncall_pages": reverse("oncall_pages"),
        "oncall_contact_methods": reverse("oncall_contact_methods"),
        "oncall_schedules": reverse("oncall_schedules"),
        "oncall_mine": reverse("oncall_mine"),
        "oncall_schedule": reverse("oncall_schedule", args=[schedule.pk]),
        "not found": "/incidents/INC-1999-0001",
    }
    return pages


PUBLIC = {
    "status_home", "status_history", "status_history_page", "status_incident", "status_subscribe",
    "status_subscribe_confirm", "status_unsubscribe", "webhook_documentation",
    "page_acknowledge_link", "login",
}  # fmt: skip


def test_every_route_is_a_checked_page_or_named_as_something_else(admin):
    # The world is not needed to know the names: the pages' table is built from a list.
    pages = set(_PAGE_NAMES)
    unaccounted = {
        name
        for name in _route_names()
        if name not in pages
        and name not in NOT_PAGES
        and not any(word in name for word in WRITE_WORDS)
    }
    assert unaccounted == set(), "add these routes to the crawl or to NOT_PAGES"


_PAGE_NAMES = (
    "status_home",
    "status_history",
    "status_history_page",
    "status_incident",
    "status_subscribe",
    "status_subscribe_confirm",
    "status_unsubscribe",
    "webhook_documentation",
    "page_acknowledge_link",
    "login",
    "dashboard",
    "incident_list",
    "incident_declare",
    "incident_detail",
    "postmortem_page",
    "chat_transcript",
    "disaster_room",
    "recovery_systems",
    "recovery_system",
    "recovery_runbooks",
    "recovery_runbook_new",
    "recovery_runbook",
    "insights",
    "search",
    "incident_similar",
    "catalog",
    "user_list",
    "token_list",
    "statuspage_overview",
    "notification_deliveries",
    "notification_subscribers",
    "chat_admin",
    "alert_groups",
    "alert_group",
    "alert_integrations",
    "alert_routes",
    "alert_route_new",
    "alert_route_edit",
    "alert_reports",
    "alert_report",
    "oncall_policies",
    "oncall_policy_new",
    "oncall_policy_edit",
    "oncall_pages",
    "oncall_contact_methods",
    "oncall_schedules",
    "oncall_mine",
    "oncall_schedule",
)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe_signed_in_and_public(live_server, chromium, admin, scheme):
    world = _world(admin)
    pages = _pages(world)
    assert {name.split(" ")[0] for name in pages} >= set(_PAGE_NAMES)
    context = chromium.new_context(viewport={"width": 1366, "height": 850}, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(20_000)
    found = {}

    def visit(name: str, path: str) -> None:
        try:
            response = page.goto(live_server.url + path)
        except PlaywrightError as error:  # an empty answer, such as 405 to a GET
            found[name] = [("not a page", str(error).splitlines()[0])]
            return
        if response is None or response.status >= 500:
            found[name] = [("not a page", response and response.status)]
        else:
            found[name] = violations(page)

    try:
        for name, path in pages.items():
            if name in PUBLIC:
                visit(name, path)
        sign_in(page, live_server.url, admin.username)
        for name, path in pages.items():
            if name not in PUBLIC:
                visit(name, path)
        # A page after a write, with its success message.
        page.goto(live_server.url + pages["catalog"])
        page.get_by_text("Add a component").click()
        page.locator("#component_name").fill("Search")
        page.get_by_role("button", name="Add component").click()
        page.locator(".message-success").wait_for()
        found["catalog after saving"] = violations(page)
    finally:
        context.close()
    failed = {name: seen for name, seen in found.items() if seen}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-every-page-{scheme}.json").write_text(json.dumps(failed, indent=1))
    assert failed == {}
