"""A realistic demo sample, made through the services like any other change.

`load_demo()` creates a few accounts, components in two groups, three open incidents with
roles, notes and action items, and four past ones (one reported retrospectively) whose
timestamps make the measured times meaningful, and on-call: a weekly rotation with office-hours
cover and the default escalation policy (made last, so replaying the stories pages nobody). It
refuses to run when incidents exist.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.models import Role, User
from incidentdesk.accounts.services import user_create, user_update
from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import services
from incidentdesk.incidents.models import Component, Incident
from incidentdesk.oncall.policies import policy_create
from incidentdesk.oncall.services import layer_add, schedule_create

PEOPLE = (  # username, full name, role
    ("admin", "Alex Morgan", Role.ADMIN),
    ("sam", "Sam Okafor", Role.RESPONDER),
    ("priya", "Priya Raman", Role.RESPONDER),
    ("marco", "Marco Bianchi", Role.MANAGER),
    ("vera", "Vera Lind", Role.VIEWER),
)
COMPONENTS = {
    "Customer-facing": ("Web app", "Mobile app", "Checkout"),
    "Platform": ("API", "Payments", "Database", "Email delivery"),
}


class DemoRefused(IncidentDeskError):
    status_code = 409


@dataclass
class DemoResult:
    admin: str
    password: str | None
    created_users: list[str] = field(default_factory=list)
    components: int = 0
    references: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [
            f"Demo sample loaded: {len(self.references)} incidents, {self.components} components, "
            f"{len(self.created_users)} new accounts."
        ]
        if self.password and self.admin in self.created_users:
            others = ", ".join(u for u in self.created_users if u != self.admin)
            lines.append(
                f"Sign in as {self.admin!r} with password {self.password} (shown only this once; "
                f"the other demo accounts, {others}, use it too)."
            )
        elif self.password:
            lines.append(
                f"Recorded as your admin {self.admin!r}; the new demo accounts "
                f"({', '.join(self.created_users)}) have password {self.password} "
                "(shown only once)."
            )
        return "\n".join(lines)


def load_demo(*, source: ActionSource = ActionSource.CLI) -> DemoResult:
    """Fill an empty desk with the demo sample, all in one transaction."""
    count = Incident.objects.count()
    if count:
        raise DemoRefused(
            f"{count} incident(s) already exist; the demo sample only loads into an empty desk",
            field="demo",
        )
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        people, created = _people(password, source)
        admin = people["admin"]
        made = _components(admin, source)
        replay = _Replay(people, source, timezone.now())
        references = [replay.play(story) for story in _open_stories() + _past_stories()]
        _status_page(people, references[0], source)
        _postmortem(people, references[-3], source)
        _oncall(people, source)
    return DemoResult(
        admin=admin.username,
        password=password if created else None,
        created_users=created,
        components=made,
        references=references,
    )


def _status_page(people: dict[str, User], reference: str, source: ActionSource) -> None:
    """Publish the first open incident and schedule maintenance, so the public page at / has
    something to show. The public words are written here, apart from the internal ones."""
    from incidentdesk.statuspage import services as statuspage

    incident = Incident.objects.get(reference=reference)
    now = timezone.now()
    # At the story's minutes (see _open_stories): published once the cause was identified,
    # updated after the decision to roll back.
    with _clock(now - timedelta(minutes=58)):
        publication = statuspage.publication_create(
            actor=people["sam"],
            source=source,
            incident=incident,
            name="Card payments failing for some customers",
            message="Some card payments are being declined at checkout. We are investigating.",
            components={"Payments": "partial_outage", "Checkout": "degraded_performance"},
            workaround="Paying by bank transfer works.",
        )
    with _clock(now - timedelta(minutes=40)):
        statuspage.publication_update(
            actor=people["sam"],
            source=source,
            public_incident=publication,
            message="We found the cause and are rolling back a recent change to payments.",
        )
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1, hours=2)
    statuspage.maintenance_schedule(
        actor=people["admin"],
        source=source,
        name="Database upgrade",
        message="We are upgrading our primary database; the app may be read-only for a moment.",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=["Database"],
    )


def _postmortem(people: dict[str, User], reference: str, source: ActionSource) -> None:
    """A postmortem in review for the load balancer incident, so the postmortem page, the
    review and the insights' taxonomy have something to show."""
    from django.apps import apps

    if not apps.is_installed("incidentdesk.postmortems"):
        return
    from incidentdesk.postmortems import services as postmortems
    from incidentdesk.postmortems.followups import followup_create
    from incidentdesk.postmortems.review import went_well_add

    sam = people["sam"]
    incident = Incident.objects.get(reference=reference)
    postmortem = postmortems.postmortem_start(actor=sam, source=source, incident=incident)
    postmortems.postmortem_edit(
        actor=sam,
        source=source,
        postmortem=postmortem,
        sections={
            "summary": "For about an hour the public API answered a share of requests with "
            "502 errors. A change to the load balancer's health-check path marked healthy "
            "API servers as down.",
            "cause": "- The health-check path changed in the same release as the route it "
            "pointed at.\n- Staging runs one API server, so a failing check never emptied "
            "the pool there.",
            "solution": "Reverting the health-check path brought every server back into "
            "the pool within two minutes.",
            "lessons": "A health check is part of the interface between two teams' changes.",
        },
        five_whys=[
            {"why": "Why did the API answer 502?", "because": "No healthy server was left."},
            {
                "why": "Why were servers marked unhealthy?",
                "because": "The health check asked for a path that did not exist yet.",
            },
            {
                "why": "Why was that not seen before production?",
                "because": "Staging has a single server behind a check that is not enforced.",
            },
        ],
        taxonomy="INCOMPLETE_PERSPECTIVE < MISSING_TEST",
        public_impact="Some API requests failed for about an hour.",
        public_cause="A configuration change to our load balancer.",
        public_solution="We reverted the change.",
        public_conclusion="Load balancer changes are now tested against a copy of "
        "production first.",
    )
    followup_create(
        actor=sam,
        source=source,
        postmortem=postmortem,
        title="Enforce health checks in staging with two servers",
        owner=people["priya"],
        category="prevent",
        priority="high",
    )
    went_well_add(
        actor=sam,
        source=source,
        postmortem=postmortem,
        text="The uptime check paged within ten minutes of the first errors.",
    )
    postmortems.postmortem_review(
        actor=sam, source=source, postmortem=postmortem, status="in_review", reviewers=["marco"]
    )


def _oncall(people: dict[str, User], source: ActionSource) -> None:
    """A schedule where Sam and Priya take weekly turns and Marco covers weekday office hours,
    and the default escalation policy: its on-call, then Marco, twice over."""
    actor = people["admin"]
    today = timezone.localdate()
    schedule = schedule_create(
        actor=actor,
        source=source,
        name="Primary",
        time_zone=settings.TIME_ZONE,
        description="Payments and checkout: the first one paged.",
    )
    layer_add(
        actor=actor,
        source=source,
        schedule=schedule,
        name="Weekly",
        people=[people["sam"], people["priya"]],
        rotation_start=today - timedelta(days=today.weekday()),
        handoff_time="09:00",
        rotation_unit="weeks",
    )
    layer_add(
        actor=actor,
        source=source,
        schedule=schedule,
        name="Office hours",
        people=[people["marco"]],
        rotation_start=today,
        handoff_time="09:00",
        restrictions=[{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(1, 6)],
    )
    policy_create(
        actor=actor,
        source=source,
        name="On-call lead",
        description="Whoever is on call for Primary, then Marco.",
        repeat=1,
        is_default=True,
        steps=[
            {"target": "schedule", "schedule": schedule, "wait_minutes": 10},
            {"target": "person", "person": people["marco"], "wait_minutes": 10},
        ],
    )


def _first_admin() -> User | None:
    admins = [u for u in User.objects.filter(is_active=True).order_by("date_joined", "pk")]
    return next((u for u in admins if u.effective_role == Role.ADMIN), None)


def _people(password: str, source: ActionSource) -> tuple[dict[str, User], list[str]]:
    """The demo accounts by username; an existing admin stands in for the demo admin."""
    people: dict[str, User] = {}
    created: list[str] = []
    existing_admin = _first_admin()
    if User.objects.exists() and existing_admin is None:
        raise DemoRefused("accounts exist but none is an active admin to record the demo as")
    for username, name, role in PEOPLE:
        if role == Role.ADMIN and existing_admin is not None:
            people[username] = existing_admin
            continue
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = user_create(
                actor=people.get("admin"),
                source=source,
                username=username,
                email=f"{username}@example.com",
                password=password,
                role=role,
                full_name=name,
            )
            created.append(username)
            if user.on_responders_desk:  # the first account joins the desk; no demo account
                # does, so the sample emails nobody
                user = user_update(actor=user, source=source, user=user, on_responders_desk=False)
        people[username] = user
    return people, created


def _components(admin: User, source: ActionSource) -> int:
    made = 0
    for group, names in COMPONENTS.items():
        for name, parent in ((group, None), *((n, group) for n in names)):
            if not Component.objects.filter(name__iexact=name).exists():
                services.component_save(actor=admin, source=source, name=name, group=parent)
                made += 1
    return made


@dataclass
class Story:
    """One incident's life, told in minutes before now. It is replayed in the order of its
    moments: the declaration; the roles when it was acknowledged (`times["acknowledged_at"]`,
    else when declared); each entry and action at its minute (an action's `at`, else with the
    roles); monitoring when it was mitigated (`times["mitigated_at"]`); the final `status` at
    `status_at` (resolved: `times["resolved_at"]`); closing an hour after it was resolved."""

    by: str
    fields: dict[str, Any]
    started: int
    detected: int
    declared: int
    roles: tuple[tuple[str, str], ...] = ()
    entries: tuple[tuple[int, str, str], ...] = ()
    actions: tuple[dict[str, Any], ...] = ()
    status: str = ""
    status_at: int | None = None
    status_message: str = ""
    times: dict[str, int] = field(default_factory=dict)
    close_by: str = ""
    close_reason: str = ""


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    """Run what follows as if it were `moment`: every service stamps what it records with
    `timezone.now()` (a timeline entry, a role's start, the acknowledged, mitigated and
    resolved times), so a story replayed this way reads on its timeline in the order it is
    told, each line at its time (what one step writes shares its moment, in the order it was
    written). Only the demo does this, in its own transaction, before anything else runs in
    the process; side effects run after commit, at the real time."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


@dataclass
class _Replay:
    """Replays one story through the services, each step at its moment (`now` minus the
    story's minutes)."""

    people: dict[str, User]
    source: ActionSource
    now: datetime

    def ago(self, minutes: int) -> datetime:
        return self.now - timedelta(minutes=minutes)

    def play(self, story: Story) -> str:
        actor = self.people[story.by]
        fields = dict(story.fields, started_at=self.ago(story.started))
        fields.update(detected_at=self.ago(story.detected), declared_at=self.ago(story.declared))
        if fields.get("kind") == "retrospective":  # reported afterwards with all its times
            fields.update({name: self.ago(minutes) for name, minutes in story.times.items()})
        with _clock(self.ago(story.declared)):
            incident = services.incident_declare(actor=actor, source=self.source, **fields)
        for minutes, step in self.steps(story, actor, incident):
            with _clock(self.ago(minutes)):
                step()
        return incident.reference

    def steps(self, story: Story, actor: User, incident: Incident) -> list:
        """(minutes before now, what happens then), oldest first."""
        source, times = self.source, story.times
        retrospective = story.fields.get("kind") == "retrospective"
        roles_at = times.get("acknowledged_at", story.declared)
        if retrospective:
            roles_at = story.declared
        steps: list[tuple[int, int, Any]] = []

        def add(minutes: int, step) -> None:
            steps.append((minutes, len(steps), step))

        def assign(role: str, username: str):
            return lambda: services.role_assign(
                actor=actor, source=source, incident=incident, role=role, user=self.people[username]
            )

        for role, username in story.roles:
            add(roles_at, assign(role, username))
        for minutes, kind, body in story.entries:
            add(
                minutes,
                lambda kind=kind, body=body: services.timeline_entry_add(
                    actor=actor,
                    source=source,
                    incident=incident,
                    kind=kind,
                    body=body,
                    pinned=kind == "decision",
                ),
            )
        for action in story.actions:
            add(
                action.get("at", roles_at),
                lambda action=action: self.action(actor, incident, action),
            )
        if not retrospective:
            self.lifecycle(story, actor, incident, add)
        if story.close_by:
            closer = self.people[story.close_by]
            resolved = times.get("resolved_at", story.declared)
            add(
                min(resolved, story.declared) - 60 if retrospective else resolved - 60,
                lambda: services.incident_close(
                    actor=closer, source=source, incident=incident, reason=story.close_reason
                ),
            )
        return [(minutes, step) for minutes, _, step in sorted(steps, key=lambda s: (-s[0], s[1]))]

    def lifecycle(self, story: Story, actor: User, incident: Incident, add) -> None:
        """Monitoring when the story says it was mitigated, then its final status."""

        def status(name: str, message: str = ""):
            return lambda: services.incident_set_status(
                actor=actor, source=self.source, incident=incident, status=name, message=message
            )

        mitigated = story.times.get("mitigated_at")
        if mitigated is not None:
            add(
                mitigated,
                status("monitoring", story.status_message if story.status == "monitoring" else ""),
            )
        if story.status and story.status != "monitoring":
            at = story.times["resolved_at"] if story.status == "resolved" else story.status_at
            add(at, status(story.status, story.status_message))

    def action(self, actor: User, incident: Incident, action: dict) -> None:
        action = {k: v for k, v in action.items() if k != "at"}
        if "due_in_days" in action:
            days = timedelta(days=action.pop("due_in_days"))
            action["due_date"] = timezone.localdate(self.now) + days
        if "owner" in action:
            action["owner"] = self.people[action["owner"]]
        services.action_item_create(actor=actor, source=self.source, incident=incident, **action)


HOUR, DAY = 60, 24 * 60


def _open_stories() -> list[Story]:
    return [
        Story(
            by="sam",
            fields={
                "title": "Card payments failing at checkout",
                "severity": "critical",
                "criteria": ["immediate_response", "degraded_experience", "multiple_users"],
                "summary": "About a quarter of card payments fail with a provider timeout "
                "since the payments service release 412.",
                "impact": "Customers paying by card see “Payment declined” and cannot finish "
                "an order.",
                "components": ["Checkout", "Payments"],
                "detection": "proactive",
                "reported_by": "Payments error-rate alert",
                "report_medium": "monitoring",
                "users_affected_count": 1200,
                "tracker_url": "https://tracker.example.com/OPS-1432",
            },
            started=95,
            detected=80,
            declared=75,
            roles=(
                ("lead", "sam"),
                ("scribe", "priya"),
                ("comms_lead", "marco"),
                ("assignee", "priya"),
            ),
            entries=(
                (78, "event", "Alert: card payment errors above 20% for 5 minutes."),
                (
                    70,
                    "discussion",
                    "Release 412 of the payments service finished deploying just "
                    "before the errors began; it changed the provider client's timeout.",
                ),
                (45, "decision", "Roll back payments to release 411 instead of fixing forward."),
                (20, "result", "Rollback half done; error rate down from 24% to 9%."),
            ),
            actions=(
                {
                    "title": "Roll back payments service to release 411",
                    "owner": "sam",
                    "status": "in_progress",
                    "priority": "high",
                    "at": 44,
                },
                {
                    "title": "Alert on card-decline rate per provider",
                    "owner": "priya",
                    "phase": "follow_up",
                    "category": "detect",
                    "due_in_days": 14,
                    "at": 15,
                },
            ),
            status="identified",
            status_at=60,
            times={"acknowledged_at": 74},
        ),  # fmt: skip
        Story(
            by="priya",
            fields={
                "title": "Search results take over 10 seconds in the web app",
                "severity": "major",
                "criteria": ["degraded_experience"],
                "impact": "Searching the catalogue is slow; some searches time out.",
                "components": ["Web app", "API", "Database"],
                "detection": "reactive",
                "reported_by": "Customer support (ticket 88213)",
                "report_medium": "email",
            },
            started=3 * HOUR,
            detected=150,
            declared=140,
            roles=(("lead", "priya"), ("scribe", "marco"), ("assignee", "sam")),
            entries=(
                (
                    130,
                    "discussion",
                    "Slow queries all hit the products index; did the nightly reindex run late?",
                ),
                (90, "note", "The reindex job is still running; it usually finishes by 03:00."),
            ),
            actions=(
                {"title": "Pause the reindex job until traffic drops", "owner": "sam", "at": 88},
            ),
            times={"acknowledged_at": 135},
        ),  # fmt: skip
        Story(
            by="marco",
            fields={
                "title": "Password reset emails arrive 20 minutes late",
                "severity": "trivial",
                "criteria": ["multiple_users"],
                "components": ["Email delivery"],
                "detection": "reactive",
                "reported_by": "Two customers on chat",
                "report_medium": "chat",
            },
            started=6 * HOUR,
            detected=5 * HOUR,
            declared=290,
            roles=(("lead", "marco"), ("assignee", "sam")),
            entries=(
                (4 * HOUR, "note", "The email provider's status page confirms queueing delays."),
                (
                    3 * HOUR,
                    "decision",
                    "Wait for the provider rather than switching providers today.",
                ),
            ),
            status="monitoring",
            status_message="Delays are shrinking; watching the queue.",
            times={"acknowledged_at": 285, "mitigated_at": 2 * HOUR},
        ),  # fmt: skip
    ]


def _past_stories() -> list[Story]:
    return [
        Story(
            by="priya",
            fields={
                "title": "Nightly database backups skipped two runs",
                "severity": "trivial",
                "kind": "retrospective",
                "criteria": ["data_loss"],
                "components": ["Database"],
                "detection": "proactive",
                "reported_by": "Weekly backup audit",
                "summary": "A full disk on the backup host made two nightly backups exit early "
                "without an error.",
            },
            started=20 * DAY,
            detected=18 * DAY,
            declared=17 * DAY,
            roles=(("lead", "priya"),),
            actions=(
                {
                    "title": "Alert when a nightly backup is missing",
                    "owner": "priya",
                    "phase": "follow_up",
                    "category": "detect",
                    "due_in_days": -3,
                },
            ),
            times={"resolved_at": 18 * DAY - 4 * HOUR, "acknowledged_at": 18 * DAY - 30},
            close_by="marco",
            close_reason="Trivial and fixed the same day; the follow-up is tracked.",
        ),  # fmt: skip
        Story(
            by="sam",
            fields={
                "title": "API returned 502 errors after a load balancer change",
                "severity": "major",
                "criteria": ["immediate_response", "multiple_users"],
                "components": ["API"],
                "detection": "proactive",
                "reported_by": "Uptime check",
                "report_medium": "monitoring",
                "cause_change_url": "https://git.example.com/infra/lb/-/merge_requests/311",
                "fix_change_urls": ["https://git.example.com/infra/lb/-/merge_requests/312"],
            },
            started=12 * DAY + 60,
            detected=12 * DAY + 50,
            declared=12 * DAY + 45,
            roles=(("lead", "sam"), ("scribe", "priya")),
            entries=((12 * DAY + 20, "decision", "Revert the health-check path change."),),
            actions=(
                {
                    "title": "Test load balancer changes against staging first",
                    "owner": "sam",
                    "phase": "follow_up",
                    "category": "prevent",
                    "due_in_days": 10,
                    "at": 12 * DAY - 40,
                },
            ),
            status="resolved",
            status_message="Health-check path reverted; 502s stopped.",
            times={
                "acknowledged_at": 12 * DAY + 40,
                "mitigated_at": 12 * DAY + 15,
                "resolved_at": 12 * DAY - 30,
            },
        ),  # fmt: skip
        Story(
            by="priya",
            fields={
                "title": "Status notifications sent twice to some subscribers",
                "severity": "trivial",
                "criteria": ["multiple_users"],
                "components": ["Email delivery"],
                "detection": "reactive",
                "reported_by": "A subscriber",
                "report_medium": "email",
            },
            started=6 * DAY + 3 * HOUR,
            detected=6 * DAY + 2 * HOUR,
            declared=6 * DAY + 110,
            roles=(("lead", "priya"),),
            status="resolved",
            times={
                "acknowledged_at": 6 * DAY + 100,
                "mitigated_at": 6 * DAY + 30,
                "resolved_at": 6 * DAY,
            },
            close_by="marco",
            close_reason="Trivial; a duplicate worker was stopped.",
        ),  # fmt: skip
        Story(
            by="sam",
            fields={
                "title": "Mobile app stuck in a login loop for iOS users",
                "severity": "critical",
                "criteria": ["immediate_response", "degraded_experience", "multiple_users"],
                "components": ["Mobile app", "API"],
                "detection": "reactive",
                "reported_by": "App store reviews and support chat",
                "report_medium": "chat",
                "users_affected_count": 3400,
                "users_affected_description": "iOS app users on version 5.8",
            },
            started=30 * DAY + 4 * HOUR,
            detected=30 * DAY + 2 * HOUR,
            declared=30 * DAY + 110,
            roles=(("lead", "sam"), ("comms_lead", "marco"), ("assignee", "priya")),
            entries=(
                (30 * DAY + 60, "result", "Token refresh fixed on the server side; logins work."),
            ),
            status="resolved",
            times={
                "acknowledged_at": 30 * DAY + 100,
                "mitigated_at": 30 * DAY + 60,
                "resolved_at": 30 * DAY - 60,
            },
        ),  # fmt: skip
    ]
