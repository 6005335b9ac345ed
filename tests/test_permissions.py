"""Who may do what: every write service against every kind of actor.

One table says the least role each write needs; each cell of the matrix checks that the call is
allowed and changes the database, or is refused with the right error and changes nothing.
"""

import importlib
import inspect
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from incidentdesk.accounts import services as accounts
from incidentdesk.accounts.models import ROLE_RANK, ApiToken, Role, User
from incidentdesk.alerts import reports as alert_reports
from incidentdesk.alerts import routes as alert_routes
from incidentdesk.alerts import services as alerts
from incidentdesk.alerts.models import AlertGroup, Integration, Report, ReportReply, Route
from incidentdesk.alerts.sources.base import AlertInput
from incidentdesk.chat import admin_services as chat_admin
from incidentdesk.chat import checkins, conversations, transcripts
from incidentdesk.chat import registry as chat_platforms
from incidentdesk.chat import services as chat
from incidentdesk.chat.models import (
    ChatIdentity,
    ChatMessage,
    ChatSettings,
    Checkin,
    IncidentConversation,
)
from incidentdesk.chat.platforms.base import ChatUser, InboundEvent
from incidentdesk.core.errors import NotAuthenticated, PermissionDenied
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import services as incidents
from incidentdesk.incidents.models import (
    ActionItem,
    Component,
    DeskSeat,
    Incident,
    Invitation,
    RoleAssignment,
    Severity,
    TimelineEntry,
    TimelineRevision,
)
from incidentdesk.notifications import services as notifications
from incidentdesk.notifications.models import Delivery, DeliveryStatus, OutboxEvent
from incidentdesk.oncall import contacts as oncall_contacts
from incidentdesk.oncall import paging as oncall_paging
from incidentdesk.oncall import policies as oncall_policies
from incidentdesk.oncall import services as oncall
from incidentdesk.oncall.models import (
    CalendarFeed,
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    Layer,
    Override,
    Page,
    PageNotice,
    Schedule,
)
from incidentdesk.postmortems import services as postmortems
from incidentdesk.postmortems.feedback import feedback_give
from incidentdesk.postmortems.followups import followup_create
from incidentdesk.postmortems.meetings import meeting_schedule
from incidentdesk.postmortems.models import (
    Feedback,
    Postmortem,
    RootCauseMeeting,
    TaxonomyTerm,
    WentWell,
)
from incidentdesk.postmortems.review import went_well_add
from incidentdesk.recovery import runbooks as recovery_runbooks
from incidentdesk.recovery import services as recovery
from incidentdesk.recovery import systems as recovery_systems
from incidentdesk.recovery.models import (
    AffectedSystem,
    Disaster,
    Proposal,
    RunbookStep,
    RunbookTemplate,
    StateChange,
    System,
    TemplateStep,
)
from incidentdesk.statuspage import services as statuspage
from incidentdesk.statuspage import subscribers
from incidentdesk.statuspage.models import (
    AffectedComponent,
    ComponentDay,
    ComponentStatusChange,
    PageSettings,
    PublicIncident,
    PublicUpdate,
    Subscriber,
)
from tests.chat import slack_fixtures
from tests.chat.slack_fixtures import SECRET, TOKEN, SlackPlatform
from tests.factories import UserFactory

WEB = ActionSource.WEB
CHAT = ActionSource.CHAT
TRACKED = (
    Incident,
    TimelineEntry,
    TimelineRevision,
    RoleAssignment,
    DeskSeat,
    Invitation,
    ActionItem,
    Component,
    Severity,
    User,
    ApiToken,
    Postmortem,
    Postmortem.reviewers.through,
    TaxonomyTerm,
    WentWell,
    RootCauseMeeting,
    RootCauseMeeting.attendees.through,
    Feedback,
    OutboxEvent,
    PublicIncident,
    PublicUpdate,
    AffectedComponent,
    ComponentStatusChange,
    ComponentDay,
    PageSettings,
    Subscriber,
    Subscriber.components.through,
    Delivery,
    ChatIdentity,
    ChatSettings,
    ChatMessage,
    IncidentConversation,
    Checkin,
    Integration,
    Route,
    AlertGroup,
    Report,
    ReportReply,
    Schedule,
    Layer,
    Override,
    CalendarFeed,
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    Page,
    PageNotice,
    System,
    System.components.through,
    Disaster,
    AffectedSystem,
    StateChange,
    Proposal,
    RunbookTemplate,
    TemplateStep,
    RunbookStep,
)
# Where write services live; the coverage test below finds them there.
WRITE_MODULES = (
    "incidentdesk.accounts.services",
    "incidentdesk.incidents.services",
    "incidentdesk.postmortems.services",
    "incidentdesk.postmortems.followups",
    "incidentdesk.postmortems.review",
    "incidentdesk.postmortems.meetings",
    "incidentdesk.postmortems.feedback",
    "incidentdesk.statuspage.services",
    "incidentdesk.notifications.services",
    "incidentdesk.statuspage.subscribers",
    "incidentdesk.chat.services",
    "incidentdesk.chat.admin_services",
    "incidentdesk.chat.transcripts",
    "incidentdesk.chat.checkins",
    "incidentdesk.chat.conversations",
    "incidentdesk.alerts.services",
    "incidentdesk.alerts.routes",
    "incidentdesk.alerts.reports",
    "incidentdesk.oncall.services",
    "incidentdesk.oncall.policies",
    "incidentdesk.oncall.contacts",
    "incidentdesk.oncall.paging",
    "incidentdesk.recovery.systems",
    "incidentdesk.recovery.services",
    "incidentdesk.recovery.runbooks",
    "incidentdesk.recovery.public",
)
# Functions of those modules that take an actor and a source but are hooks run inside another
# write, which checked who may (not doors' services).
HOOKS = {
    "pages_stop_on_resolve",  # incidents' after_resolve: inside incident_resolve
    # A disaster's public change: inside state_move's and proposal_accept's transaction, after
    # the decision-maker check (its own status page checks are the recovery tests' business).
    "public_apply",
    # The maintenance announcement behind maintenance_schedule's permission, for public_apply
    # (the decision-maker opens the window of their move): no permission of its own.
    "maintenance_write",
    # The same for maintenance_update's move (the window in progress, then completed).
    "maintenance_advance",
}
NEXT_WEEK = timezone.now() + timedelta(days=7)


@dataclass(frozen=True)
class Case:
    least_role: Role | None  # None: refused whatever the role
    call: object  # (actor, world) -> anything


CASES: dict[str, Case] = {
    "incident_declare": Case(
        Role.RESPONDER,
        lambda a, w: incidents.incident_declare(
            actor=a, source=WEB, title="New", severity="major", criteria=["security"]
        ),
    ),
    "incident_update": Case(
        Role.RESPONDER,
        lambda a, w: incidents.incident_update(
            actor=a, source=WEB, incident=w.incident, changes={"summary": "changed"}
        ),
    ),
    "incident_set_status": Case(
        Role.RESPONDER,
        lambda a, w: incidents.incident_set_status(
            actor=a, source=WEB, incident=w.incident, status="identified"
        ),
    ),
    "incident_resolve": Case(
        Role.RESPONDER,
        lambda a, w: incidents.incident_resolve(actor=a, source=WEB, incident=w.incident),
    ),
    "incident_close": Case(
        Role.MANAGER,
        lambda a, w: incidents.incident_close(actor=a, source=WEB, incident=w.resolved),
    ),
    "role_assign": Case(
        Role.RESPONDER,
        lambda a, w: incidents.role_assign(
            actor=a, source=WEB, incident=w.incident, role="scribe", user=w.other
        ),
    ),
    "role_release": Case(
        Role.RESPONDER,
        lambda a, w: incidents.role_release(actor=a, source=WEB, incident=w.incident, role="lead"),
    ),
    # Inviting to a restricted incident: the actor was invited by its lead (build_world).
    "incident_invite": Case(
        Role.RESPONDER,
        lambda a, w: incidents.incident_invite(
            actor=a, source=WEB, incident=w.restricted, user=w.third
        ),
    ),
    "incident_uninvite": Case(
        Role.RESPONDER,
        lambda a, w: incidents.incident_uninvite(
            actor=a, source=WEB, incident=w.restricted, user=w.other
        ),
    ),
    "timeline_entry_add": Case(
        Role.RESPONDER,
        lambda a, w: incidents.timeline_entry_add(
            actor=a, source=WEB, incident=w.incident, kind="note", body="hello"
        ),
    ),
    "timeline_entry_edit": Case(
        Role.RESPONDER,
        lambda a, w: incidents.timeline_entry_edit(actor=a, source=WEB, entry=w.entry, body="new"),
    ),
    "timeline_entry_pin": Case(
        Role.RESPONDER,
        lambda a, w: incidents.timeline_entry_pin(actor=a, source=WEB, entry=w.entry, pinned=True),
    ),
    "action_item_create": Case(
        Role.RESPONDER,
        lambda a, w: incidents.action_item_create(
            actor=a, source=WEB, incident=w.incident, title="Add an alert"
        ),
    ),
    "action_item_update": Case(
        Role.RESPONDER,
        lambda a, w: incidents.action_item_update(
            actor=a, source=WEB, item=w.action, changes={"status": "in_progress"}
        ),
    ),
    "command_run": Case(
        Role.RESPONDER,
        lambda a, w: incidents.command_run(
            actor=a, source=WEB, incident=w.incident, text="note hi"
        ),
    ),
    "component_save": Case(
        Role.MANAGER,
        lambda a, w: incidents.component_save(actor=a, source=WEB, name="Search"),
    ),
    "severity_save": Case(
        Role.ADMIN,
        lambda a, w: incidents.severity_save(
            actor=a, source=WEB, key="trivial", changes={"action_due_days": 10}
        ),
    ),
    "user_create": Case(
        Role.ADMIN,
        lambda a, w: accounts.user_create(
            actor=a,
            source=WEB,
            username="newbie",
            email="newbie@example.com",
            password="correct-horse-battery-staple",
        ),
    ),
    "user_update": Case(
        Role.ADMIN,
        lambda a, w: accounts.user_update(actor=a, source=WEB, user=w.other, role=Role.MANAGER),
    ),
    "token_create_for_self": Case(
        Role.VIEWER,
        lambda a, w: accounts.token_create(actor=a, source=WEB, user=a, name="mine"),
    ),
    "token_create_for_someone_else": Case(
        Role.ADMIN,
        lambda a, w: accounts.token_create(actor=a, source=WEB, user=w.other, name="theirs"),
    ),
    "token_revoke_own": Case(
        Role.VIEWER,
        lambda a, w: accounts.token_revoke(actor=a, source=WEB, token_id=w.own_token.pk),
    ),
    "token_revoke_someone_elses": Case(
        Role.ADMIN,
        lambda a, w: accounts.token_revoke(actor=a, source=WEB, token_id=w.others_token.pk),
    ),
    "postmortem_start": Case(
        Role.RESPONDER,
        lambda a, w: postmortems.postmortem_start(actor=a, source=WEB, incident=w.resolved),
    ),
    "postmortem_edit": Case(
        Role.RESPONDER,
        lambda a, w: postmortems.postmortem_edit(
            actor=a, source=WEB, postmortem=w.postmortem, sections={"summary": "A lock."}
        ),
    ),
    "postmortem_review_to_in_review": Case(
        Role.RESPONDER,
        lambda a, w: postmortems.postmortem_review(
            actor=a, source=WEB, postmortem=w.postmortem, status="in_review", reviewers=["boss"]
        ),
    ),
    "postmortem_review_back_to_draft": Case(
        Role.RESPONDER,
        lambda a, w: postmortems.postmortem_review(
            actor=a, source=WEB, postmortem=w.in_review, status="draft", reason="More whys"
        ),
    ),
    "postmortem_review_to_published": Case(
        Role.MANAGER,
        lambda a, w: postmortems.postmortem_review(
            actor=a, source=WEB, postmortem=w.in_review, status="published"
        ),
    ),
    "taxonomy_term_create": Case(
        Role.ADMIN,
        lambda a, w: postmortems.taxonomy_term_create(
            actor=a, source=WEB, key="CAPACITY_LIMIT", definition="Ran out of room."
        ),
    ),
    "followup_create": Case(
        Role.RESPONDER,
        lambda a, w: followup_create(
            actor=a, source=WEB, postmortem=w.postmortem, title="Add an alert", owner="other"
        ),
    ),
    "went_well_add": Case(
        Role.RESPONDER,
        lambda a, w: went_well_add(
            actor=a, source=WEB, postmortem=w.postmortem, text="The runbook was right."
        ),
    ),
    "meeting_schedule": Case(
        Role.RESPONDER,
        lambda a, w: meeting_schedule(
            actor=a, source=WEB, postmortem=w.postmortem, starts_at=NEXT_WEEK, attendees=["other"]
        ),
    ),
    # Feedback is asked of those who took part in the response (feedback.took_part), viewers
    # included, and of nobody else, whatever their role.
    "feedback_give_having_taken_part": Case(
        Role.VIEWER,
        lambda a, w: feedback_give(
            actor=a, source=WEB, postmortem=w.postmortem, response_rating=4, postmortem_rating=3
        ),
    ),
    "feedback_give_without_taking_part": Case(
        None,
        lambda a, w: feedback_give(
            actor=a, source=WEB, postmortem=w.in_review, response_rating=4, postmortem_rating=3
        ),
    ),
    "publication_create": Case(
        Role.RESPONDER,
        lambda a, w: statuspage.publication_create(
            actor=a,
            source=WEB,
            incident=w.incident,
            name="Checkout is slow",
            message="We are looking into it.",
            components={w.component.public_id: "degraded_performance"},
        ),
    ),
    "publication_update": Case(
        Role.RESPONDER,
        lambda a, w: statuspage.publication_update(
            actor=a,
            source=WEB,
            public_incident=w.publication,
            message="A fix is deployed.",
            status="monitoring",
        ),
    ),
    "publication_resolve": Case(
        Role.RESPONDER,
        lambda a, w: statuspage.publication_resolve(
            actor=a, source=WEB, public_incident=w.publication, message="All good again."
        ),
    ),
    "maintenance_schedule": Case(
        Role.MANAGER,
        lambda a, w: statuspage.maintenance_schedule(
            actor=a,
            source=WEB,
            name="Database upgrade",
            message="Writes pause for ten minutes.",
            scheduled_for=NEXT_WEEK,
            scheduled_until=NEXT_WEEK + timedelta(hours=1),
            components=[w.component.public_id],
        ),
    ),
    "maintenance_update": Case(
        Role.MANAGER,
        lambda a, w: statuspage.maintenance_update(
            actor=a, source=WEB, maintenance=w.maintenance, status="in_progress", message="Started."
        ),
    ),
    "component_status_change": Case(
        Role.MANAGER,
        lambda a, w: statuspage.component_status_change(
            actor=a, source=WEB, component=w.component, status="major_outage"
        ),
    ),
    # Showing a postmortem's public version is publishing on the status page (statuspage.publish);
    # postmortem_review calls it when a manager publishes the postmortem itself.
    "postmortem_publish_public": Case(
        Role.MANAGER,
        lambda a, w: statuspage.postmortem_publish_public(
            actor=a, source=WEB, public_incident=w.publication, body="## Summary\n\nA lock."
        ),
    ),
    "banner_set": Case(
        Role.MANAGER,
        lambda a, w: statuspage.banner_set(
            actor=a,
            source=WEB,
            active=True,
            message="Read-only while we restore.",
            kind="read_only",
        ),
    ),
    "subscriber_import": Case(
        Role.MANAGER,
        lambda a, w: subscribers.subscriber_import(
            actor=a, source=WEB, rows=[{"email": "new@example.com", "components": ["Checkout"]}]
        ),
    ),
    "subscriber_remove": Case(
        Role.MANAGER,
        lambda a, w: subscribers.subscriber_remove(actor=a, source=WEB, subscriber=w.subscriber),
    ),
    "delivery_retry": Case(
        Role.MANAGER,
        lambda a, w: notifications.delivery_retry(actor=a, source=WEB, delivery=w.failed_delivery),
    ),
    "delivery_retry_failed": Case(
        Role.MANAGER,
        lambda a, w: notifications.delivery_retry_failed(actor=a, source=WEB),
    ),
    "identity_link": Case(
        Role.ADMIN,
        lambda a, w: chat.identity_link(actor=a, source=WEB, identity=w.stranger, user=w.third),
    ),
    "identity_unlink": Case(
        Role.ADMIN,
        lambda a, w: chat.identity_unlink(actor=a, source=WEB, identity=w.chat_other),
    ),
    "chat_settings_update": Case(
        Role.ADMIN,
        lambda a, w: chat_admin.chat_settings_update(
            actor=a, source=WEB, transcript_retention_days=30
        ),
    ),
    "transcripts_purge": Case(
        Role.ADMIN,
        lambda a, w: transcripts.transcripts_purge(actor=a, source=WEB),
    ),
    "message_pin": Case(
        Role.RESPONDER,
        lambda a, w: transcripts.message_pin(
            actor=a, source=CHAT, event=w.pin_event, link=w.conversation
        ),
    ),
    "message_unpin": Case(
        Role.RESPONDER,
        lambda a, w: transcripts.message_unpin(
            actor=a, source=CHAT, event=w.unpin_event, link=w.conversation
        ),
    ),
    "checkin_set": Case(
        Role.RESPONDER,
        lambda a, w: checkins.checkin_set(
            actor=a, source=WEB, incident=w.incident, interval=timedelta(minutes=30)
        ),
    ),
    # These two talk to Slack: the module's `chat_platform` fixture points it at the stand-in.
    "conversation_open": Case(
        Role.RESPONDER,
        lambda a, w: conversations.conversation_open(
            actor=a, source=WEB, incident=w.incident, platform="slack"
        ),
    ),
    "conversation_rename": Case(
        Role.RESPONDER,
        lambda a, w: conversations.conversation_rename(
            actor=a, source=WEB, link=w.conversation, name="inc-renamed"
        ),
    ),
    # Alert intake (alerts_receive) has no user: the integration acts, while it is live.
    "integration_create": Case(
        Role.ADMIN,
        lambda a, w: alerts.integration_create(actor=a, source=WEB, kind="generic", name="ci"),
    ),
    "integration_revoke": Case(
        Role.ADMIN,
        lambda a, w: alerts.integration_revoke(
            actor=a, source=WEB, integration_id=w.integration.pk
        ),
    ),
    # Routes (what an opened alert group does) are written by admins.
    "route_create": Case(
        Role.ADMIN,
        lambda a, w: alert_routes.route_create(actor=a, source=WEB, action="record"),
    ),
    "route_update": Case(
        Role.ADMIN,
        lambda a, w: alert_routes.route_update(
            actor=a, source=WEB, route_id=w.route.pk, position=3
        ),
    ),
    "route_delete": Case(
        Role.ADMIN,
        lambda a, w: alert_routes.route_delete(actor=a, source=WEB, route_id=w.route.pk),
    ),
    # Email reports are triaged by whoever may declare incidents (their intake has no user).
    "report_declare": Case(
        Role.RESPONDER,
        lambda a, w: alert_reports.report_declare(
            actor=a, source=WEB, report_id=w.report.pk, severity="major"
        ),
    ),
    "report_attach": Case(
        Role.RESPONDER,
        lambda a, w: alert_reports.report_attach(
            actor=a, source=WEB, report_id=w.report.pk, incident=w.incident.reference
        ),
    ),
    "report_dismiss": Case(
        Role.RESPONDER,
        lambda a, w: alert_reports.report_dismiss(
            actor=a, source=WEB, report_id=w.report.pk, reason="spam"
        ),
    ),
    "route_move": Case(
        Role.ADMIN,
        lambda a, w: alert_routes.route_move(actor=a, source=WEB, route_id=w.route.pk, to=0),
    ),
    # An alert group is acknowledged or resolved by hand by responders.
    "group_acknowledge": Case(
        Role.RESPONDER,
        lambda a, w: alerts.group_acknowledge(
            actor=a, source=WEB, group_id=AlertGroup.objects.get().pk
        ),
    ),
    "group_resolve": Case(
        Role.RESPONDER,
        lambda a, w: alerts.group_resolve(
            actor=a, source=WEB, group_id=AlertGroup.objects.get().pk
        ),
    ),
    # On-call schedules, their layers and overrides are written by managers.
    "schedule_create": Case(
        Role.MANAGER,
        lambda a, w: oncall.schedule_create(
            actor=a, source=WEB, name="secondary", time_zone="Europe/Berlin"
        ),
    ),
    "layer_add": Case(
        Role.MANAGER,
        lambda a, w: oncall.layer_add(
            actor=a,
            source=WEB,
            schedule=w.schedule,
            people=[w.other.pk],
            rotation_start="2026-03-02",
            handoff_time="09:00",
        ),
    ),
    "override_add": Case(
        Role.MANAGER,
        lambda a, w: oncall.override_add(
            actor=a,
            source=WEB,
            schedule=w.schedule,
            user=w.other,
            start=NEXT_WEEK,
            end=NEXT_WEEK + timedelta(hours=8),
        ),
    ),
    "schedule_update": Case(
        Role.MANAGER,
        lambda a, w: oncall.schedule_update(actor=a, source=WEB, schedule=w.schedule, name="main"),
    ),
    "schedule_delete": Case(
        Role.MANAGER,
        lambda a, w: oncall.schedule_delete(actor=a, source=WEB, schedule=w.schedule),
    ),
    "layer_update": Case(
        Role.MANAGER,
        lambda a, w: oncall.layer_update(actor=a, source=WEB, layer=w.layer, handoff_time="10:00"),
    ),
    "layer_remove": Case(
        Role.MANAGER,
        lambda a, w: oncall.layer_remove(actor=a, source=WEB, layer=w.layer),
    ),
    "override_remove": Case(
        Role.MANAGER,
        lambda a, w: oncall.override_remove(actor=a, source=WEB, override=w.override),
    ),
    # A schedule's secret calendar URL is reset by managers; a person's by that person
    # (any role, like their API tokens) or an admin.
    "calendar_feed_reset": Case(
        Role.MANAGER,
        lambda a, w: oncall.calendar_feed_reset(actor=a, source=WEB, schedule=w.schedule),
    ),
    "calendar_feed_reset_own": Case(
        Role.VIEWER,
        lambda a, w: oncall.calendar_feed_reset(actor=a, source=WEB, user=a),
    ),
    "calendar_feed_reset_anothers": Case(
        Role.ADMIN,
        lambda a, w: oncall.calendar_feed_reset(actor=a, source=WEB, user=w.other),
    ),
    # Escalation policies follow schedules: managers write them.
    "policy_create": Case(
        Role.MANAGER,
        lambda a, w: oncall_policies.policy_create(
            actor=a, source=WEB, name="nights", steps=[{"target": "person", "person": w.other}]
        ),
    ),
    "policy_update": Case(
        Role.MANAGER,
        lambda a, w: oncall_policies.policy_update(
            actor=a, source=WEB, policy=w.policy, description="Nights and weekends"
        ),
    ),
    "policy_delete": Case(
        Role.MANAGER,
        lambda a, w: oncall_policies.policy_delete(actor=a, source=WEB, policy=w.policy),
    ),
    # Paging: responders page, acknowledge and cancel; whoever a page notified may acknowledge
    # it whatever their role.
    "page_create": Case(
        Role.RESPONDER,
        lambda a, w: oncall_paging.page_create(
            actor=a, source=WEB, incident=w.incident, person=w.other
        ),
    ),
    "page_acknowledge": Case(
        Role.RESPONDER,
        lambda a, w: oncall_paging.page_acknowledge(actor=a, source=WEB, page=w.page),
    ),
    "page_acknowledge_when_paged": Case(
        Role.VIEWER,
        lambda a, w: oncall_paging.page_acknowledge(actor=a, source=WEB, page=w.own_page or w.page),
    ),
    "incident_pages_acknowledge": Case(
        Role.RESPONDER,
        lambda a, w: oncall_paging.incident_pages_acknowledge(
            actor=a, source=WEB, incident=w.incident
        ),
    ),
    "incident_acknowledge": Case(
        Role.RESPONDER,
        lambda a, w: incidents.incident_acknowledge(actor=a, source=WEB, incident=w.incident),
    ),
    "page_cancel": Case(
        Role.RESPONDER,
        lambda a, w: oncall_paging.page_cancel(actor=a, source=WEB, page=w.page),
    ),
    # Contact methods: each person their own (any role), admins anyone's.
    "contact_method_add_own": Case(
        Role.VIEWER,
        lambda a, w: oncall_contacts.contact_method_add(
            actor=a, source=WEB, user=a, kind="email", address="me@example.org"
        ),
    ),
    "contact_method_add_anothers": Case(
        Role.ADMIN,
        lambda a, w: oncall_contacts.contact_method_add(
            actor=a, source=WEB, user=w.other, kind="email", address="them@example.org"
        ),
    ),
    "contact_method_remove_own": Case(
        Role.VIEWER,
        lambda a, w: oncall_contacts.contact_method_remove(
            actor=a, source=WEB, method=w.own_methods[0]
        ),
    ),
    "contact_method_remove_anothers": Case(
        Role.ADMIN,
        lambda a, w: oncall_contacts.contact_method_remove(
            actor=a, source=WEB, method=w.others_methods[0]
        ),
    ),
    "contact_method_move_own": Case(
        Role.VIEWER,
        lambda a, w: oncall_contacts.contact_method_move(
            actor=a, source=WEB, method=w.own_methods[1], position=1
        ),
    ),
    "contact_method_move_anothers": Case(
        Role.ADMIN,
        lambda a, w: oncall_contacts.contact_method_move(
            actor=a, source=WEB, method=w.others_methods[1], position=1
        ),
    ),
    # Disaster recovery: admins keep the systems catalog and the runbook templates.
    "system_create": Case(
        Role.ADMIN,
        lambda a, w: recovery_systems.system_create(
            actor=a, source=WEB, name="Ledger", owner="other", rto_minutes=60, rpo_minutes=15
        ),
    ),
    "system_update": Case(
        Role.ADMIN,
        lambda a, w: recovery_systems.system_update(
            actor=a, source=WEB, system=w.system, rto_minutes=30
        ),
    ),
    "system_delete": Case(
        Role.ADMIN,
        lambda a, w: recovery_systems.system_delete(actor=a, source=WEB, system=w.spare_system),
    ),
    "runbook_template_create": Case(
        Role.ADMIN,
        lambda a, w: recovery_runbooks.runbook_template_create(
            actor=a, source=WEB, name="Failover", system=w.system
        ),
    ),
    "runbook_template_update": Case(
        Role.ADMIN,
        lambda a, w: recovery_runbooks.runbook_template_update(
            actor=a, source=WEB, template=w.template, description="For any system."
        ),
    ),
    "runbook_template_delete": Case(
        Role.ADMIN,
        lambda a, w: recovery_runbooks.runbook_template_delete(
            actor=a, source=WEB, template=w.template
        ),
    ),
    # Responders escalate an incident to a disaster, propose moves and work its runbook.
    "disaster_declare": Case(
        Role.RESPONDER,
        lambda a, w: recovery.disaster_declare(
            actor=a, source=WEB, incident=w.publication.incident, systems=[w.system]
        ),
    ),
    "proposal_create": Case(
        Role.RESPONDER,
        lambda a, w: recovery.proposal_create(
            actor=a, source=WEB, affected=w.affected, state="read_only", reason="Writes fail"
        ),
    ),
    # Asked to propose, someone who is not the decision-maker records a proposal instead.
    "state_move_proposing": Case(
        Role.RESPONDER,
        lambda a, w: recovery.state_move(
            actor=a, source=WEB, affected=w.affected, state="offline", reason="Leak", propose=True
        ),
    ),
    "step_update": Case(
        Role.RESPONDER,
        lambda a, w: recovery_runbooks.step_update(
            actor=a, source=WEB, step=w.step, state="running"
        ),
    ),
    "step_assign": Case(
        Role.RESPONDER,
        lambda a, w: recovery_runbooks.step_assign(actor=a, source=WEB, step=w.step, owner="other"),
    ),
    # The webhook is called by the queue once the transaction commits, never within the call.
    "step_run": Case(
        Role.RESPONDER,
        lambda a, w: recovery_runbooks.step_run(actor=a, source=WEB, step=w.automated_step),
    ),
    # The rest is the decision-maker's alone, whatever the role: no actor of the matrix is the
    # disaster's decision-maker (tests/recovery/test_decision_maker_only.py covers them).
    "state_move": Case(
        None,
        lambda a, w: recovery.state_move(
            actor=a, source=WEB, affected=w.affected, state="read_only", reason="Writes fail"
        ),
    ),
    "proposal_accept": Case(
        None,
        lambda a, w: recovery.proposal_accept(actor=a, source=WEB, proposal=w.proposal),
    ),
    "proposal_decline": Case(
        None,
        lambda a, w: recovery.proposal_decline(
            actor=a, source=WEB, proposal=w.proposal, note="Not yet"
        ),
    ),
    "disaster_add_system": Case(
        None,
        lambda a, w: recovery.disaster_add_system(
            actor=a, source=WEB, disaster=w.disaster, system=w.spare_system
        ),
    ),
    "planned_work_stop": Case(
        None,
        lambda a, w: recovery.planned_work_stop(
            actor=a, source=WEB, disaster=w.disaster, planned_work="Sprint 12"
        ),
    ),
    "business_resume": Case(
        None,
        lambda a, w: recovery.business_resume(actor=a, source=WEB, disaster=w.disaster),
    ),
}

# Actors who are not signed in, or who are but may not write whatever their role.
UNAUTHENTICATED = ("none", "anonymous")
NEVER_WRITES = ("inactive_admin", "admin_with_read_token")
ACTORS = (*UNAUTHENTICATED, *NEVER_WRITES, *Role.values)


def expected(actor_kind: str, case: Case):
    if actor_kind in UNAUTHENTICATED:
        return NotAuthenticated
    if actor_kind in NEVER_WRITES or case.least_role is None:
        return PermissionDenied
    return None if ROLE_RANK[Role(actor_kind)] >= ROLE_RANK[case.least_role] else PermissionDenied


def make_actor(kind: str):
    if kind == "none":
        return None
    if kind == "anonymous":
        return AnonymousUser()
    if kind == "inactive_admin":
        return UserFactory(username="actor", role=Role.ADMIN, is_active=False)
    if kind == "admin_with_read_token":
        actor = UserFactory(username="actor", role=Role.ADMIN)
        actor.token_scope = "read"  # as token_authenticate marks a read-scoped token's user
        return actor
    return UserFactory(username="actor", role=kind)


def build_world(actor) -> SimpleNamespace:
    """Everything the calls act on, made by an admin who is not the actor."""
    boss = UserFactory(username="boss", role=Role.ADMIN)
    other = UserFactory(username="other", role=Role.RESPONDER)
    incident = incidents.incident_declare(
        actor=boss, source=WEB, title="Broken", severity="major", criteria=["security"]
    )
    incidents.role_assign(actor=boss, source=WEB, incident=incident, role="lead", user=boss)
    resolved = incidents.incident_declare(
        actor=boss, source=WEB, title="Typo", severity="trivial", criteria=["security"]
    )
    resolved = incidents.incident_resolve(actor=boss, source=WEB, incident=resolved)
    restricted = incidents.incident_declare(
        actor=boss, source=WEB, title="Leak", severity="major", criteria=["security"], security=True
    )
    third = UserFactory(username="third", role=Role.VIEWER)
    incidents.incident_invite(actor=boss, source=WEB, incident=restricted, user=other)
    if isinstance(actor, User) and actor.is_active:
        incidents.incident_invite(actor=boss, source=WEB, incident=restricted, user=actor)
    entry = incidents.timeline_entry_add(
        actor=boss, source=WEB, incident=incident, kind="note", body="old"
    )
    action = incidents.action_item_create(actor=boss, source=WEB, incident=incident, title="Fix")
    token_owner = actor if isinstance(actor, User) else other
    own_token, _ = accounts.token_create(actor=boss, source=WEB, user=token_owner, name="own")
    others_token, _ = accounts.token_create(actor=boss, source=WEB, user=other, name="other")
    postmortem, in_review = _draft_postmortem(boss), _draft_postmortem(boss)
    postmortems.postmortem_edit(
        actor=boss, source=WEB, postmortem=in_review, taxonomy="MISSING_TEST"
    )
    in_review = postmortems.postmortem_review(
        actor=boss, source=WEB, postmortem=in_review, status="in_review", reviewers=["boss"]
    )
    component = incidents.component_save(actor=boss, source=WEB, name="Checkout")
    publication = statuspage.publication_create(
        actor=boss,
        source=WEB,
        incident=incidents.incident_declare(
            actor=boss, source=WEB, title="Checkout down", severity="major", criteria=["security"]
        ),
        name="Checkout is down",
        message="We are looking into it.",
        components={component.public_id: "partial_outage"},
    )
    maintenance = statuspage.maintenance_schedule(
        actor=boss,
        source=WEB,
        name="Database upgrade",
        message="Orders may be slow to confirm.",
        scheduled_for=NEXT_WEEK,
        scheduled_until=NEXT_WEEK + timedelta(hours=2),
        components=[component.public_id],
    )
    subscribers.subscriber_import(
        actor=boss, source=WEB, rows=[{"email": "reader@example.com", "components": ["Checkout"]}]
    )
    subscriber = Subscriber.objects.get(email="reader@example.com")
    # Deliveries are made by the notification worker's fan-out; one that gave up is enough here.
    failed_delivery = Delivery.objects.create(
        event=OutboxEvent.objects.filter(to_subscribers=True).first(),
        audience=subscribers.AUDIENCE,
        reference=str(subscriber.pk),
        channel="email",
        recipient=subscriber.email,
        key="permissions:failed",
        status=DeliveryStatus.FAILED,
        attempts=5,
    )
    # A chat user nobody linked, and `other` on chat (linked by their email).
    stranger = chat.identity_for("slack", ChatUser(id="U1", name="Stranger"))
    chat_other = chat.identity_for("slack", ChatUser(id="U2", name="Other", email=other.email))
    # The incident's Slack channel, with a message `other` said there and one the boss pinned;
    # and a closed incident whose transcript is past a 30-day retention.
    conversation = IncidentConversation.objects.create(
        incident=resolved, platform="slack", conversation=STANDIN_CHANNEL[0], name="inc-typo"
    )
    said = timezone.now() - timedelta(minutes=5)

    def chat_event(kind, message):
        return InboundEvent(
            platform="slack",
            dedup_key=f"{kind}:{message}",
            kind=kind,
            conversation=STANDIN_CHANNEL[0],
            actor="U9",
            occurred_at=timezone.now(),
            text="the disk is full",
            message=message,
            values={"author": "U2", "posted_at": said.isoformat()},
        )

    transcripts.message_pin(
        actor=boss, source=CHAT, event=chat_event("pin", "1.2"), link=conversation
    )
    old = incidents.incident_declare(
        actor=boss, source=WEB, title="Old", severity="trivial", criteria=["security"]
    )
    Incident.objects.filter(pk=old.pk).update(
        status="closed", closed_at=timezone.now() - timedelta(days=90)
    )
    old_conversation = IncidentConversation.objects.create(
        incident=old, platform="slack", conversation="COLD", name="inc-old"
    )
    ChatMessage.objects.create(
        conversation=old_conversation, message="9.9", author="U2", text="x", posted_at=said
    )
    ChatSettings.objects.create(transcript_retention_days=30)
    integration, _ = alerts.integration_create(
        actor=boss, source=WEB, kind="alertmanager", name="prod"
    )
    firing = AlertInput(key="fp", group_key="g", status="firing", summary="Disk full")
    alerts.alerts_receive(integration=integration, alerts=[firing])  # one open alert group
    if isinstance(actor, User):
        # The actor took part in `postmortem`'s response (asked to its root-cause meeting),
        # and in nothing of `in_review`'s.
        meeting_schedule(
            actor=boss, source=WEB, postmortem=postmortem, starts_at=NEXT_WEEK, attendees=[actor]
        )
    return SimpleNamespace(
        incident=incident,
        resolved=resolved,
        restricted=restricted,
        third=third,
        postmortem=postmortem,
        in_review=in_review,
        entry=entry,
        action=action,
        other=other,
        own_token=own_token,
        others_token=others_token,
        component=component,
        publication=publication,
        maintenance=maintenance,
        subscriber=subscriber,
        failed_delivery=failed_delivery,
        stranger=stranger,
        chat_other=chat_other,
        conversation=conversation,
        pin_event=chat_event("pin", "1.1"),
        unpin_event=chat_event("unpin", "1.2"),
        integration=integration,
        report=_email_report(boss),
        route=alert_routes.route_create(
            actor=boss, source=WEB, action="record", integration=integration.pk
        ),
        schedule=(
            schedule := oncall.schedule_create(
                actor=boss, source=WEB, name="primary", time_zone="UTC"
            )
        ),
        layer=oncall.layer_add(
            actor=boss,
            source=WEB,
            schedule=schedule,
            people=[other.pk],
            rotation_start="2026-01-05",
            handoff_time="09:00",
        ),
        override=oncall.override_add(
            actor=boss,
            source=WEB,
            schedule=schedule,
            user=other,
            start=NEXT_WEEK + timedelta(days=2),
            end=NEXT_WEEK + timedelta(days=3),
        ),
        **_paging_world(boss, other, incident, actor),
        **_recovery_world(boss, incident),
    )


def _paging_world(boss, other, incident, actor) -> dict:
    """A policy, a page of `other` for the incident (and one of the actor, when a person),
    and two contact methods of `other` (and of the actor)."""

    def methods(user) -> list[ContactMethod]:
        return [
            ContactMethod.objects.create(
                user=user, position=n, kind="email", address=f"{user.username}{n}@example.org"
            )
            for n in (1, 2)
        ]

    person = actor if isinstance(actor, User) and actor.is_active else None
    others = methods(other)
    return {
        "policy": oncall_policies.policy_create(
            actor=boss, source=WEB, name="days", steps=[{"target": "person", "person": other}]
        ),
        "page": oncall_paging.page_create(actor=boss, source=WEB, incident=incident, person=other),
        "own_page": person
        and oncall_paging.page_create(actor=boss, source=WEB, incident=incident, person=person),
        "others_methods": others,
        "own_methods": methods(person) if person else others,
    }


def _recovery_world(boss, incident) -> dict:
    """Two systems of the boss's; the incident a disaster of the first, decided by `deciding`
    (no actor of the matrix), with a proposal open and its runbook (the built-in one) copied,
    its first step automated; and a runbook template for any system."""
    system, spare_system = (
        recovery_systems.system_create(
            actor=boss, source=WEB, name=name, owner=boss, rto_minutes=60, rpo_minutes=15
        )
        for name in ("Billing", "Search")
    )
    deciding = UserFactory(username="deciding", role=Role.RESPONDER)
    disaster = recovery.disaster_declare(
        actor=boss, source=WEB, incident=incident, systems=[system], decision_maker=deciding
    )
    affected = disaster.systems.get()
    steps = RunbookStep.objects.filter(affected=affected).order_by("position")
    steps.filter(position=1).update(webhook_url="https://hooks.example.org/runbook")
    return {
        "system": system,
        "spare_system": spare_system,
        "disaster": disaster,
        "affected": affected,
        "automated_step": steps[0],
        "step": steps[1],
        "proposal": recovery.proposal_create(
            actor=boss, source=WEB, affected=affected, state="maintenance", reason="Upgrade"
        ),
        "template": recovery_runbooks.runbook_template_create(
            actor=boss, source=WEB, name="Any system"
        ),
    }


def _email_report(boss) -> Report:
    mailbox, _ = alerts.integration_create(actor=boss, source=WEB, kind="email", name="help")
    raw = b"From: Ana <ana@example.org>\r\nSubject: Checkout fails\r\n\r\nIt fails.\r\n"
    return alert_reports.report_receive(integration=mailbox, raw=raw).report


def _draft_postmortem(boss) -> Postmortem:
    incident = incidents.incident_declare(
        actor=boss, source=WEB, title="Slow", severity="major", criteria=["security"]
    )
    incident = incidents.incident_resolve(actor=boss, source=WEB, incident=incident)
    return postmortems.postmortem_start(actor=boss, source=WEB, incident=incident)


def snapshot() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TRACKED}


@pytest.fixture
def chat_platform(request):
    """Slack pointed at the Web API stand-in, for the cases that talk to it."""
    if request.node.callspec.params["service"] not in ("conversation_open", "conversation_rename"):
        yield
        return
    standin = request.getfixturevalue("standin")
    channel = standin.add_channel("inc-typo", members=(standin.bot_user,))
    slack = SlackPlatform(signing_secret=SECRET, token=TOKEN, api_url=standin.url)
    chat_platforms.register_platform("slack", lambda: slack)
    STANDIN_CHANNEL[0] = channel.id
    yield
    STANDIN_CHANNEL[0] = "CTYPO"
    chat_platforms.unregister_platform("slack")


standin = slack_fixtures.standin
# The id of the resolved incident's Slack channel (the stand-in's, when the case talks to it).
STANDIN_CHANNEL = ["CTYPO"]


@pytest.mark.django_db
@pytest.mark.parametrize("actor_kind", ACTORS)
@pytest.mark.parametrize("service", CASES)
def test_permission_matrix(service, actor_kind, chat_platform):
    case = CASES[service]
    actor = make_actor(actor_kind)
    world = build_world(actor)
    before = snapshot()
    refusal = expected(actor_kind, case)
    if refusal is None:
        case.call(actor, world)
        assert snapshot() != before, f"{service} by {actor_kind} changed nothing"
    else:
        with pytest.raises(refusal):
            case.call(actor, world)
        assert snapshot() == before, f"{service} by {actor_kind} was refused but wrote"


def write_services() -> set[str]:
    """The public functions of WRITE_MODULES that take an `actor` and a `source`, as every
    write service does (functions a module only imports are counted where they are defined)."""
    found = set()
    for module_name in WRITE_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if not value.__module__.startswith(module_name):
                continue
            if {"actor", "source"} <= inspect.signature(value).parameters.keys():
                found.add(name)
    return found - HOOKS


def _covers(case: str, service: str) -> bool:
    return case == service or case.startswith(f"{service}_")


def test_the_table_covers_every_write_service():
    services = write_services()
    assert {"incident_declare", "token_revoke", "postmortem_review", "feedback_give"} <= services
    assert {"publication_create", "banner_set", "subscriber_import", "delivery_retry"} <= services
    missing = sorted(s for s in services if not any(_covers(case, s) for case in CASES))
    assert not missing, f"write services missing from CASES: {missing}"
    stale = sorted(c for c in CASES if not any(_covers(c, s) for s in services))
    assert not stale, f"CASES naming no write service: {stale}"


@pytest.mark.django_db
def test_the_first_account_needs_no_actor_and_becomes_admin():
    user = accounts.user_create(
        actor=None,
        source=WEB,
        username="founder",
        email="founder@example.com",
        password="correct-horse-battery-staple",
    )
    assert user.effective_role == Role.ADMIN and user.is_superuser


@pytest.mark.django_db
def test_a_refusal_names_the_role_needed():
    viewer = UserFactory(role=Role.VIEWER)
    with pytest.raises(PermissionDenied, match=r"your role \(viewer\).*needs responder"):
        incidents.incident_declare(
            actor=viewer, source=WEB, title="x", severity="major", criteria=["security"]
        )


@pytest.mark.django_db
def test_a_deactivated_account_is_told_so():
    gone = UserFactory(role=Role.ADMIN, is_active=False)
    with pytest.raises(PermissionDenied, match="deactivated"):
        incidents.component_save(actor=gone, source=WEB, name="Search")


@pytest.mark.django_db
def test_a_read_token_refusal_says_the_token_is_read_only():
    admin = UserFactory(role=Role.ADMIN)
    admin.token_scope = "read"
    with pytest.raises(PermissionDenied, match="read-only"):
        incidents.component_save(actor=admin, source=WEB, name="Search")
