"""The public side of a disaster: the change a move offers, and applying it through the status
page, which the public page, the component statuses and the subscribers' outbox follow."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from incidentdesk.core.errors import InvalidTransition, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.recovery.models import AffectedSystem, StateChange
from incidentdesk.recovery.public import (
    PublicChange,
    public_apply,
    public_change_from_data,
    public_preview,
)
from incidentdesk.recovery.services import disaster_declare, state_move
from incidentdesk.statuspage import public_site, services
from incidentdesk.statuspage.models import PageSettings, PublicIncident, PublicUpdate
from incidentdesk.statuspage.public_site import refresh_or_raise

WEB = ActionSource.WEB


@pytest.fixture
def site(db):
    """The public site, rendered, served by a document cache that starts and ends empty."""
    public_site.cache.reset()
    refresh_or_raise()
    yield
    public_site.cache.reset()


@pytest.fixture
def make_disaster(declare, responder):
    """The systems' disaster (or drill) on a fresh incident; their owner decides unless told."""

    def make(*systems, drill=False, decision_maker=None):
        disaster = disaster_declare(
            actor=responder,
            source=WEB,
            incident=declare(title="internal: the billing database is gone"),
            systems=[system.name for system in systems],
            decision_maker=decision_maker,
            drill=drill,
        )
        return list(disaster.systems.all())

    return make


@pytest.fixture
def affected(make_disaster, billing):
    (one,) = make_disaster(billing)
    return one


def ids(*names) -> dict[int, str]:
    return {Component.objects.get(name=name).pk: status for name, status in names}


def home() -> str:
    response = Client().get("/")
    assert response.status_code == 200
    return response.content.decode()


def committed(write, capture):
    """Run a write as a request would: the public site re-renders when it commits."""
    with capture(execute=True):
        return write()


# The preview -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "status", "banner_kind", "words"),
    [
        ("maintenance", "under_maintenance", "maintenance", "under maintenance"),
        ("read_only", "degraded_performance", "read_only", "read-only"),
        ("offline", "major_outage", None, "offline"),
        ("restoring", "major_outage", None, "restoring"),
        ("restored", "operational", None, "back in service"),
        ("operational", "operational", None, "working normally"),
    ],
)
def test_the_preview_sets_the_systems_components_and_suggests_words_for_each_state(
    affected, state, status, banner_kind, words
):
    change = public_preview(affected, state)
    assert change.components == ids(("Invoices", status), ("Payments API", status))
    assert (change.banner or (None,))[0] == banner_kind
    assert words in change.message
    assert "Invoices and Payments API" in change.message
    assert change.notify is True


def test_the_preview_names_the_public_components_never_the_internal_system(affected):
    change = public_preview(affected, "read_only")
    assert "Billing" not in change.message and "Billing" not in change.banner[1]
    assert change.banner == (
        "read_only",
        "Invoices and Payments API is read-only for now: you can see your data but not change it.",
    )


def test_verifying_leaves_the_components_as_they_are(affected):
    change = public_preview(affected, "verifying")
    assert change.components == {} and change.banner is None and not change.clear_banner
    assert "checking" in change.message


def test_a_system_without_components_is_named_by_its_own_name(make_disaster, search):
    (affected,) = make_disaster(search)
    change = public_preview(affected, "offline")
    assert change.components == {}
    assert change.message.startswith("Search:")


def test_back_in_service_clears_the_recovery_banner_once_no_other_system_is_down(
    make_disaster, billing, search, manager
):
    services.banner_set(
        actor=manager, source=WEB, active=True, kind="read_only", message="Read-only for now."
    )
    billing_affected, search_affected = make_disaster(billing, search)
    AffectedSystem.objects.filter(pk=search_affected.pk).update(state="restoring")
    assert public_preview(billing_affected, "restored").clear_banner is False

    AffectedSystem.objects.filter(pk=search_affected.pk).update(state="restored")
    assert public_preview(billing_affected, "restored").clear_banner is True
    assert public_preview(billing_affected, "operational").clear_banner is True


def test_a_banner_the_disaster_did_not_put_up_is_left_alone(affected, manager):
    services.banner_set(actor=manager, source=WEB, active=True, message="New look next week.")
    assert public_preview(affected, "restored").clear_banner is False


def test_a_drills_preview_is_empty(make_disaster, billing):
    (drilled,) = make_disaster(billing, drill=True)
    for state in ("maintenance", "read_only", "offline", "restoring", "verifying", "restored"):
        change = public_preview(drilled, state)
        assert change.empty and change == PublicChange()


# Applying ------------------------------------------------------------------------------------


def test_the_first_change_publishes_the_incident_and_the_public_page_follows(
    affected, manager, site, django_capture_on_commit_callbacks
):
    change = public_preview(affected, "read_only")
    committed(
        lambda: public_apply(actor=manager, source=WEB, affected=affected, change=change),
        django_capture_on_commit_callbacks,
    )

    publication = PublicIncident.objects.get(incident=affected.disaster.incident)
    assert publication.status == "identified"
    assert publication.name == "Disruption of Invoices and Payments API"
    assert set(Component.objects.values_list("name", "status")) == {
        ("Invoices", "degraded_performance"),
        ("Payments API", "degraded_performance"),
    }
    page = PageSettings.load()
    assert (page.banner_active, page.banner_kind) == (True, "read_only")
    html = home()
    assert "Invoices and Payments API is read-only for now" in html  # the banner
    assert "Disruption of Invoices and Payments API" in html
    assert 'class="sp-site-banner kind-read_only"' in html
    assert html.count('class="sp-status-text st-degraded_performance"') == 2
    assert "internal: the billing database is gone" not in html


def test_later_changes_update_the_same_publication_and_clear_the_banner(
    affected, manager, site, django_capture_on_commit_callbacks
):
    for state in ("read_only", "restoring"):
        change = public_preview(affected, state)
        committed(
            lambda change=change: public_apply(
                actor=manager, source=WEB, affected=affected, change=change
            ),
            django_capture_on_commit_callbacks,
        )
        AffectedSystem.objects.filter(pk=affected.pk).update(state=state)
    assert PageSettings.load().banner_active  # restoring leaves the read-only banner up
    assert set(Component.objects.values_list("status", flat=True)) == {"major_outage"}

    back = public_preview(affected, "restored")
    assert back.clear_banner
    committed(
        lambda: public_apply(actor=manager, source=WEB, affected=affected, change=back),
        django_capture_on_commit_callbacks,
    )

    publication = PublicIncident.objects.get()
    assert list(
        publication.updates.order_by("created_at", "pk").values_list("body", flat=True)
    ) == [
        public_preview(affected, "read_only").message,
        public_preview(affected, "restoring").message,
        back.message,
    ]
    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}
    # Down, the cause is known; every component back, the page watches.
    statuses = publication.updates.order_by("created_at", "pk").values_list("status", flat=True)
    assert list(statuses) == ["identified", "identified", "monitoring"]
    assert not PageSettings.load().banner_active
    html = home()
    assert "sp-site-banner" not in html and "not change it" not in html  # the banner is gone
    assert back.message in html


def test_subscribers_are_told_only_when_asked(affected, manager):
    quiet = public_preview(affected, "maintenance")
    quiet.notify = False
    public_apply(actor=manager, source=WEB, affected=affected, change=quiet)
    assert not OutboxEvent.objects.filter(topic="incident.updated").exists()

    # published, quietly (its maintenance window too)
    assert PublicIncident.objects.get(is_maintenance=False).updates.count() == 1
    loud = public_preview(affected, "offline")
    public_apply(actor=manager, source=WEB, affected=affected, change=loud)
    (told,) = OutboxEvent.objects.filter(topic="incident.updated")
    assert told.to_subscribers
    assert set(told.component_ids) == set(affected.system.components.values_list("pk", flat=True))


def test_a_move_to_maintenance_tells_subscribers_once_though_it_opens_a_window(affected, manager):
    public_apply(
        actor=manager,
        source=WEB,
        affected=affected,
        change=public_preview(affected, "maintenance"),
    )
    assert PublicIncident.objects.filter(is_maintenance=True).exists()
    told = OutboxEvent.objects.filter(to_subscribers=True).exclude(topic="component.updated")
    assert [event.topic for event in told] == ["incident.updated"]


def test_a_first_change_that_tells_subscribers_puts_it_in_the_outbox(affected, manager):
    public_apply(
        actor=manager, source=WEB, affected=affected, change=public_preview(affected, "offline")
    )
    (told,) = OutboxEvent.objects.filter(topic="incident.updated")
    assert told.to_subscribers and public_preview(affected, "offline").message in str(told.payload)


def test_an_empty_change_and_a_drills_change_write_nothing(make_disaster, billing, manager):
    (real,) = make_disaster(billing)
    public_apply(actor=manager, source=WEB, affected=real, change=PublicChange())
    public_apply(actor=manager, source=WEB, affected=real, change=None)
    (drilled,) = make_disaster(billing, drill=True)
    public_apply(
        actor=manager, source=WEB, affected=drilled, change=public_preview(real, "offline")
    )
    assert not PublicIncident.objects.exists() and not PublicUpdate.objects.exists()
    assert not PageSettings.load().banner_active
    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}


def public_rows():
    return (
        list(PublicIncident.objects.values()),
        list(PublicUpdate.objects.values()),
        list(Component.objects.order_by("pk").values("pk", "status")),
        list(OutboxEvent.objects.values("topic")),
        PageSettings.load().banner_active,
    )


def test_an_actor_who_may_not_change_the_banner_is_refused_naming_public_with_nothing_written(
    affected, responder
):
    """A responder may publish updates but not put up the site banner: the whole change is
    refused before any of it is written."""
    before = public_rows()
    with pytest.raises(PermissionDenied) as refused:
        public_apply(
            actor=responder,
            source=WEB,
            affected=affected,
            change=public_preview(affected, "maintenance"),
        )
    assert refused.value.field == "public"
    assert "banner" in refused.value.message
    assert public_rows() == before


def test_a_viewer_is_refused_naming_public(affected, viewer):
    before = public_rows()
    with pytest.raises(PermissionDenied) as refused:
        public_apply(
            actor=viewer, source=WEB, affected=affected, change=public_preview(affected, "offline")
        )
    assert refused.value.field == "public"
    assert public_rows() == before


def test_a_refused_banner_undoes_the_publication_made_before_it(affected, manager):
    """A banner the status page refuses after the update was published leaves nothing."""
    change = public_preview(affected, "maintenance")
    change.banner = ("maintenance", "x" * 501)
    before = public_rows()
    with pytest.raises(ValidationError) as refused, transaction.atomic():
        public_apply(actor=manager, source=WEB, affected=affected, change=change)
    assert refused.value.field == "public.banner.message"
    assert public_rows() == before


def test_a_resolved_publication_is_not_updated_and_the_refusal_names_public(affected, manager):
    public_apply(
        actor=manager, source=WEB, affected=affected, change=public_preview(affected, "offline")
    )
    services.publication_resolve(
        actor=manager, source=WEB, public_incident=PublicIncident.objects.get(), message="Fixed."
    )
    with pytest.raises(InvalidTransition) as refused:
        public_apply(
            actor=manager,
            source=WEB,
            affected=affected,
            change=public_preview(affected, "restoring"),
        )
    assert refused.value.field == "public"


def test_component_changes_need_public_words(affected, manager):
    change = public_preview(affected, "offline")
    change.message = ""
    with pytest.raises(ValidationError) as refused:
        public_apply(actor=manager, source=WEB, affected=affected, change=change)
    assert refused.value.field == "public.message"
    assert not PublicIncident.objects.exists()


# Reading the form / API shape ---------------------------------------------------------------


def test_the_data_shape_reads_components_by_id_or_name(affected):
    invoices = Component.objects.get(name="Invoices")
    change = public_change_from_data(
        {
            "components": {str(invoices.pk): "partial_outage", "payments api": "Major_Outage"},
            "banner": {"kind": "maintenance", "message": "Back soon."},
            "message": "We are on it.",
        },
        affected,
    )
    assert change == PublicChange(
        components=ids(("Invoices", "partial_outage"), ("Payments API", "major_outage")),
        banner=("maintenance", "Back soon."),
        clear_banner=False,
        message="We are on it.",
        notify=True,
    )


def test_the_preview_goes_through_the_data_shape_unchanged(affected, manager):
    services.banner_set(actor=manager, source=WEB, active=True, kind="maintenance", message="m")
    for state in ("maintenance", "read_only", "offline", "verifying", "restored"):
        change = public_preview(affected, state)
        assert public_change_from_data(change.data(), affected) == change


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "public"),
        ({"colour": "red"}, "public.colour"),
        ({"components": ["Invoices"]}, "public.components"),
        ({"components": {"Nothing": "operational"}, "message": "m"}, "public.components.Nothing"),
        ({"components": {"Invoices": "on fire"}, "message": "m"}, "public.components.Invoices"),
        ({"components": {"Invoices": 3}, "message": "m"}, "public.components.Invoices"),
        ({"components": {"Invoices": "operational"}}, "public.message"),
        ({"banner": "maintenance"}, "public.banner"),
        ({"banner": {"kind": "party", "message": "m"}}, "public.banner.kind"),
        ({"banner": {"kind": "maintenance", "message": ""}}, "public.banner.message"),
        ({"banner": {"kind": "maintenance", "message": "a\x00b"}}, "public.banner.message"),
        (
            {"banner": {"kind": "maintenance", "message": "m"}, "clear_banner": True},
            "public.clear_banner",
        ),
        ({"clear_banner": "yes"}, "public.clear_banner"),
        ({"message": "x" * 5001}, "public.message"),
        ({"message": 7}, "public.message"),
        ({"notify": "true"}, "public.notify"),
    ],
)
def test_bad_public_data_is_refused_naming_the_part(affected, data, field):
    with pytest.raises(ValidationError) as refused:
        public_change_from_data(data, affected)
    assert refused.value.field == field


# Through the move ------------------------------------------------------------------------------


def test_a_move_makes_its_public_change_and_the_public_page_follows(
    make_disaster, billing, manager, site, django_capture_on_commit_callbacks
):
    (billing_affected,) = make_disaster(billing, decision_maker=manager)
    committed(
        lambda: state_move(
            actor=manager,
            source=WEB,
            affected=billing_affected,
            state="maintenance",
            reason="Stop writes while we copy the data",
            public=public_preview(billing_affected, "maintenance"),
        ),
        django_capture_on_commit_callbacks,
    )
    assert StateChange.objects.get().to_state == "maintenance"
    assert set(Component.objects.values_list("status", flat=True)) == {"under_maintenance"}
    html = home()
    assert 'class="sp-site-banner kind-maintenance"' in html
    assert "Invoices and Payments API: under maintenance" in html


def test_the_decision_maker_puts_up_the_banner_of_their_move_though_only_a_responder(
    affected, olga, responder
):
    """olga, Billing's owner, decides; as a responder she may not change the site banner in
    general, but the maintenance or read-only notice of the system she decides is part of her
    move. Another responder, who does not decide, is still refused."""
    state_move(
        actor=olga,
        source=WEB,
        affected=affected,
        state="read_only",
        reason="Stop writes",
        public=public_preview(affected, "read_only"),
    )
    page = PageSettings.load()
    assert page.banner_active and page.banner_kind == "read_only"
    assert page.banner_set_by == olga
    assert PublicIncident.objects.get().updates.count() == 1

    with pytest.raises(PermissionDenied) as refused:
        public_apply(
            actor=responder,
            source=WEB,
            affected=affected,
            change=public_preview(affected, "maintenance"),
        )
    assert refused.value.field == "public" and "banner" in refused.value.message


def test_a_drills_move_leaves_the_public_site_alone(make_disaster, billing, manager):
    (real,) = make_disaster(billing)
    (drilled,) = make_disaster(billing, drill=True, decision_maker=manager)
    state_move(
        actor=manager,
        source=WEB,
        affected=drilled,
        state="offline",
        reason="Rehearse the failover",
        public=public_preview(real, "offline"),
    )
    assert StateChange.objects.get().to_state == "offline"
    assert not PublicIncident.objects.exists() and not PageSettings.load().banner_active
    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}


# The maintenance window ------------------------------------------------------------------------


def test_only_a_move_to_maintenance_offers_a_window_from_now_until_the_rto(affected):
    before = timezone.now()
    until = public_preview(affected, "maintenance").maintenance_until
    assert before + timedelta(minutes=59) <= until <= timezone.now() + timedelta(minutes=60)
    for state in ("read_only", "offline", "restoring", "verifying", "restored", "operational"):
        assert public_preview(affected, state).maintenance_until is None


def test_a_long_rto_offers_a_window_of_at_most_seven_days(affected):
    affected.system.rto_minutes = 30 * 24 * 60
    until = public_preview(affected, "maintenance").maintenance_until
    assert (
        timezone.now() + timedelta(days=6, hours=23) < until <= timezone.now() + timedelta(days=7)
    )
    change = public_preview(affected, "maintenance")
    assert public_change_from_data(change.data(), affected) == change


def test_applying_opens_the_window_of_the_systems_components_on_the_public_page(
    affected, manager, site, django_capture_on_commit_callbacks
):
    change = public_preview(affected, "maintenance")
    committed(
        lambda: public_apply(actor=manager, source=WEB, affected=affected, change=change),
        django_capture_on_commit_callbacks,
    )
    window = PublicIncident.objects.get(is_maintenance=True)
    assert window.name == "Maintenance of Invoices and Payments API"
    assert window.scheduled_until == change.maintenance_until
    assert window.scheduled_for <= timezone.now() and window.incident is None
    # It never moves by itself, so it never fights the disaster's component statuses.
    assert window.scheduled_auto_transition is False
    assert set(window.affected.values_list("component__name", flat=True)) == {
        "Invoices",
        "Payments API",
    }
    # Under way from the start: in progress, not "scheduled", and kept on the system.
    assert window.status == "in_progress"
    assert [u.status for u in window.updates.order_by("created_at", "pk")] == [
        "scheduled",
        "in_progress",
    ]
    assert all(u.body == change.message for u in window.updates.all())
    affected.refresh_from_db()
    assert affected.maintenance_window == window
    html = home()
    assert "Maintenance of Invoices and Payments API" in html
    assert "Disruption of Invoices and Payments API" in html  # the publication, beside it


def test_the_move_out_of_maintenance_completes_its_window_before_the_new_statuses(affected, olga):
    state_move(
        actor=olga,
        source=WEB,
        affected=affected,
        state="maintenance",
        reason="Copy the data",
        public=public_preview(affected, "maintenance"),
    )
    affected.refresh_from_db()
    assert not public_preview(affected, "maintenance").complete_maintenance
    onward = public_preview(affected, "offline")
    assert onward.complete_maintenance
    state_move(
        actor=olga, source=WEB, affected=affected, state="offline", reason="The copy failed",
        public=onward,
    )  # fmt: skip
    window = PublicIncident.objects.get(is_maintenance=True)
    assert window.status == "completed"
    # The window's end made the components operational; the move's own statuses came after.
    assert set(Component.objects.values_list("status", flat=True)) == {"major_outage"}
    affected.refresh_from_db()
    assert not public_preview(affected, "restoring").complete_maintenance  # nothing open now


def test_a_change_without_a_window_opens_none(affected, manager):
    change = public_preview(affected, "maintenance")
    change.maintenance_until = None
    public_apply(actor=manager, source=WEB, affected=affected, change=change)
    assert not PublicIncident.objects.filter(is_maintenance=True).exists()
    assert PublicIncident.objects.filter(is_maintenance=False).exists()


def test_the_decision_maker_opens_the_window_of_their_move_though_only_a_responder(
    affected, olga, responder
):
    state_move(
        actor=olga,
        source=WEB,
        affected=affected,
        state="maintenance",
        reason="Stop writes while we copy the data",
        public=public_preview(affected, "maintenance"),
    )
    window = PublicIncident.objects.get(is_maintenance=True)
    assert window.created_by == olga

    before = public_rows()
    only_a_window = PublicChange(maintenance_until=timezone.now() + timedelta(hours=1))
    with pytest.raises(PermissionDenied) as refused:
        public_apply(actor=responder, source=WEB, affected=affected, change=only_a_window)
    assert refused.value.field == "public" and "maintenance window" in refused.value.message
    assert public_rows() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"maintenance": "soon"}, "public.maintenance"),
        ({"maintenance": {}}, "public.maintenance.until"),
        ({"maintenance": {"until": "tomorrow"}}, "public.maintenance.until"),
        ({"maintenance": {"until": 5}}, "public.maintenance.until"),
        ({"maintenance": {"until": "2026-13-40T10:00"}}, "public.maintenance.until"),
        ({"maintenance": {"until": "2020-01-01T10:00:00+00:00"}}, "public.maintenance.until"),
    ],
)
def test_a_bad_window_is_refused_naming_its_end(affected, data, field):
    with pytest.raises(ValidationError) as refused:
        public_change_from_data(data, affected)
    assert refused.value.field == field


def test_a_window_ends_in_the_future_and_at_most_seven_days_ahead(affected, manager):
    for until, words in (
        (timezone.now() - timedelta(minutes=1), "future"),
        (timezone.now() + timedelta(days=7, minutes=5), "7 days"),
    ):
        with pytest.raises(ValidationError) as refused:
            public_change_from_data({"maintenance": {"until": until.isoformat()}}, affected)
        assert refused.value.field == "public.maintenance.until" and words in refused.value.message

        before = public_rows()
        change = public_preview(affected, "maintenance")
        change.maintenance_until = until
        with pytest.raises(ValidationError) as refused:
            public_apply(actor=manager, source=WEB, affected=affected, change=change)
        assert refused.value.field == "public.maintenance.until"
        assert public_rows() == before


def test_a_window_without_a_zone_is_read_in_the_sites_time_zone(affected):
    ahead = timezone.localtime() + timedelta(hours=2)
    text = ahead.replace(tzinfo=None, microsecond=0).isoformat()
    until = public_change_from_data({"maintenance": {"until": text}}, affected).maintenance_until
    assert until == ahead.replace(microsecond=0)


def test_a_drill_opens_no_maintenance_window(make_disaster, billing, manager):
    (real,) = make_disaster(billing)
    (drilled,) = make_disaster(billing, drill=True, decision_maker=manager)
    assert public_preview(drilled, "maintenance").maintenance_until is None
    state_move(
        actor=manager,
        source=WEB,
        affected=drilled,
        state="maintenance",
        reason="Rehearse the maintenance",
        public=public_preview(real, "maintenance"),
    )
    assert StateChange.objects.get().to_state == "maintenance"
    assert not PublicIncident.objects.exists()
