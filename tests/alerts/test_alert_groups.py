"""Alert intake: repeats count, a group key makes one group (even from two Alertmanagers at
once), a group resolves when its alerts do, and a flapping alert re-opens its group."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from incidentdesk.alerts import hooks
from incidentdesk.alerts.models import Alert, AlertGroup, GroupStatus
from incidentdesk.alerts.services import alerts_receive, integration_create, integration_revoke
from incidentdesk.alerts.sources.base import AlertInput
from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from tests.together import together

NOW = timezone.now()


def alert(key="fp1", group='{}:{alertname="DiskFull"}', status="firing", **fields):
    return AlertInput(key=key, group_key=group, status=status, summary=f"{key} is wrong", **fields)


@pytest.fixture
def integration(admin):
    made, _ = integration_create(
        actor=admin, source=ActionSource.CLI, kind="alertmanager", name="prod"
    )
    return made


@pytest.mark.django_db
def test_the_same_alert_twice_is_one_alert_counted_twice(integration):
    first = alerts_receive(integration=integration, alerts=[alert()], received_at=NOW)
    later = NOW + timedelta(seconds=30)
    second = alerts_receive(integration=integration, alerts=[alert()], received_at=later)
    stored = Alert.objects.get()
    assert stored.count == 2
    assert stored.first_received_at == NOW and stored.last_received_at == later
    assert [g.pk for g in first.opened] == [g.pk for g in second.updated] == [stored.group_id]
    assert second.opened == [] and AlertGroup.objects.get().alert_count == 1


@pytest.mark.django_db
def test_two_alerts_of_one_group_make_one_group(integration):
    got = alerts_receive(integration=integration, alerts=[alert("fp1"), alert("fp2")])
    group = AlertGroup.objects.get()
    assert len(got.opened) == 1 and got.updated == []
    assert group.alert_count == 2 and group.status == GroupStatus.FIRING
    assert sorted(group.alerts.values_list("key", flat=True)) == ["fp1", "fp2"]


@pytest.mark.django_db
def test_the_same_group_key_from_another_integration_is_another_group(integration, admin):
    other, _ = integration_create(actor=admin, source=ActionSource.CLI, kind="generic", name="o")
    alerts_receive(integration=integration, alerts=[alert()])
    alerts_receive(integration=other, alerts=[alert()])
    assert AlertGroup.objects.count() == 2


@pytest.mark.django_db
def test_a_group_resolves_when_all_its_alerts_are_resolved(integration):
    alerts_receive(integration=integration, alerts=[alert("fp1"), alert("fp2")], received_at=NOW)
    # Alertmanager's next snapshot: one alert ended, the other still fires.
    half = alerts_receive(
        integration=integration, alerts=[alert("fp1", status="resolved"), alert("fp2")]
    )
    assert half.resolved == [] and AlertGroup.objects.get().status == GroupStatus.FIRING
    done_at = NOW + timedelta(minutes=5)
    done = alerts_receive(
        integration=integration,
        alerts=[alert("fp1", status="resolved"), alert("fp2", status="resolved")],
        received_at=done_at,
    )
    group = AlertGroup.objects.get()
    assert [g.pk for g in done.resolved] == [group.pk]
    assert group.status == GroupStatus.RESOLVED and group.resolved_at == done_at


@pytest.mark.django_db
def test_a_pagerduty_style_resolve_resolves_its_group_and_acknowledge_acknowledges(integration):
    alerts_receive(integration=integration, alerts=[alert("srv-1", group="srv-1")])
    alerts_receive(
        integration=integration, alerts=[alert("srv-1", group="srv-1", status="acknowledged")]
    )
    assert AlertGroup.objects.get().status == GroupStatus.ACKNOWLEDGED
    alerts_receive(integration=integration, alerts=[alert("srv-1", group="srv-1")])
    assert AlertGroup.objects.get().status == GroupStatus.ACKNOWLEDGED  # a repeat keeps the ack
    alerts_receive(
        integration=integration, alerts=[alert("srv-1", group="srv-1", status="resolved")]
    )
    group = AlertGroup.objects.get()
    assert group.status == GroupStatus.RESOLVED and group.alerts.get().count == 4


@pytest.mark.django_db
def test_a_resolve_of_a_group_never_seen_stores_nothing(integration):
    got = alerts_receive(integration=integration, alerts=[alert(status="resolved")])
    assert got.ignored == 1 and not AlertGroup.objects.exists() and not Alert.objects.exists()


@pytest.mark.django_db
def test_a_flapping_alert_within_the_window_reopens_its_group(integration, settings):
    settings.ALERT_FLAP_WINDOW_SECONDS = 300
    alerts_receive(integration=integration, alerts=[alert()], received_at=NOW)
    alerts_receive(integration=integration, alerts=[alert(status="resolved")], received_at=NOW)
    again = NOW + timedelta(seconds=299)
    got = alerts_receive(integration=integration, alerts=[alert()], received_at=again)
    group = AlertGroup.objects.get()
    assert [g.pk for g in got.reopened] == [group.pk] and got.opened == []
    assert group.status == GroupStatus.FIRING and group.resolved_at is None
    assert group.alerts.get().count == 3 and group.alerts.get().status == GroupStatus.FIRING


@pytest.mark.django_db
def test_firing_again_after_the_window_opens_a_new_group(integration, settings):
    settings.ALERT_FLAP_WINDOW_SECONDS = 300
    alerts_receive(integration=integration, alerts=[alert()], received_at=NOW)
    alerts_receive(integration=integration, alerts=[alert(status="resolved")], received_at=NOW)
    later = NOW + timedelta(seconds=301)
    got = alerts_receive(integration=integration, alerts=[alert()], received_at=later)
    assert len(got.opened) == 1 and got.reopened == []
    old, new = AlertGroup.objects.order_by("pk")
    assert old.status == GroupStatus.RESOLVED and new.status == GroupStatus.FIRING
    assert new.alerts.get().count == 1


@pytest.mark.django_db
def test_a_late_resolve_joins_the_last_resolved_group_and_opens_nothing(integration, settings):
    settings.ALERT_FLAP_WINDOW_SECONDS = 0
    alerts_receive(integration=integration, alerts=[alert()], received_at=NOW)
    alerts_receive(integration=integration, alerts=[alert(status="resolved")], received_at=NOW)
    alerts_receive(integration=integration, alerts=[alert(status="resolved")])
    group = AlertGroup.objects.get()
    assert group.status == GroupStatus.RESOLVED and group.alerts.get().count == 3


@pytest.mark.django_db
def test_a_revoked_integration_may_not_post_and_bad_input_stores_nothing(integration, admin):
    with pytest.raises(ValidationError) as refused:
        alerts_receive(integration=integration, alerts=[alert("fp1"), alert("", group="g")])
    assert refused.value.field == "alerts[1].key"
    with pytest.raises(ValidationError):
        alerts_receive(integration=integration, alerts=[alert("k" * 256)])
    assert not AlertGroup.objects.exists()
    integration_revoke(actor=admin, source=ActionSource.CLI, integration_id=integration.pk)
    integration.refresh_from_db()
    with pytest.raises(PermissionDenied):
        alerts_receive(integration=integration, alerts=[alert()])
    assert not AlertGroup.objects.exists()


@pytest.mark.django_db
def test_groups_opened_and_reopened_are_handed_to_the_hook_after_commit(
    integration, django_capture_on_commit_callbacks
):
    seen: list = []

    def hook(groups):
        seen.append(sorted(g.group_key for g in groups))

    hooks.after_groups_opened.register(hook)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            alerts_receive(integration=integration, alerts=[alert(group="a"), alert(group="b")])
        with django_capture_on_commit_callbacks(execute=True):
            alerts_receive(integration=integration, alerts=[alert(group="a")])
    finally:
        hooks.after_groups_opened.unregister(hook)
    assert seen == [["a", "b"]]


# Two Alertmanagers in HA post the same snapshot at once ------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="races on PostgreSQL's row locks")
def test_alertmanagers_in_ha_posting_at_once_make_one_group(integration):
    snapshot = [alert(f"fp{n}", group=f"group-{n % 3}") for n in range(9)]
    answers = together(lambda: alerts_receive(integration=integration, alerts=snapshot), 6)
    assert not [a for a in answers if isinstance(a, BaseException)], answers
    assert AlertGroup.objects.count() == 3
    assert sorted(len(a.opened) for a in answers).count(3) <= 1
    assert sum(len(a.opened) for a in answers) == 3
    assert Alert.objects.count() == 9
    assert sorted(Alert.objects.values_list("count", flat=True)) == [6] * 9
    assert all(g.alert_count == 3 for g in AlertGroup.objects.all())


@pytest.mark.django_db
def test_a_message_of_many_alerts_writes_its_group_once_not_once_per_alert(
    integration, django_assert_max_num_queries
):
    many = [alert(f"fp{n}") for n in range(40)]
    # Inside the test's transaction the intake's own is a savepoint: 2 statements more.
    # Opening: look for the group (asking in the same statement whether a route could meet
    # it: none, so it is routed at once), open it with its counts, insert its alerts.
    with django_assert_max_num_queries(2 + 3):
        alerts_receive(integration=integration, alerts=many, received_at=NOW)
    # The resend: find the group, read its alerts, count them up, write its counts.
    with django_assert_max_num_queries(2 + 4):
        alerts_receive(integration=integration, alerts=many, received_at=NOW)
    group = AlertGroup.objects.get()
    assert group.alert_count == 40
    assert set(Alert.objects.values_list("count", flat=True)) == {2}


@pytest.mark.django_db
def test_a_resend_that_changes_an_alert_rewrites_it_and_an_unchanged_one_only_counts(
    integration,
):
    started = NOW - timedelta(minutes=5)
    sent = [alert("fp1", starts_at=started), alert("fp2", labels={"host": "a"})]
    alerts_receive(integration=integration, alerts=sent, received_at=NOW)
    later = NOW + timedelta(seconds=30)
    again = [
        alert("fp1", starts_at=started, annotations={"summary": "now worse"}, severity="critical"),
        alert("fp2", labels={"host": "a"}),
    ]
    alerts_receive(integration=integration, alerts=again, received_at=later)
    changed, same = Alert.objects.get(key="fp1"), Alert.objects.get(key="fp2")
    assert changed.annotations == {"summary": "now worse"} and changed.severity == "critical"
    assert changed.starts_at == started and changed.count == 2
    assert changed.first_received_at == NOW and changed.last_received_at == later
    assert same.labels == {"host": "a"} and same.count == 2 and same.last_received_at == later
    assert AlertGroup.objects.get().severity == "critical"


@pytest.mark.django_db
def test_the_same_alert_twice_in_one_message_counts_twice_and_keeps_the_last(integration):
    alerts_receive(
        integration=integration,
        alerts=[alert("fp1"), alert("fp1", status="resolved")],
        received_at=NOW,
    )
    stored = Alert.objects.get()
    assert stored.count == 2 and stored.status == GroupStatus.RESOLVED
    assert AlertGroup.objects.get().status == GroupStatus.RESOLVED


@pytest.mark.django_db
def test_a_resolved_and_a_firing_alert_of_a_new_group_in_one_message_are_both_kept(integration):
    got = alerts_receive(
        integration=integration,
        alerts=[alert("fp1", status="resolved"), alert("fp2")],
        received_at=NOW,
    )
    group = AlertGroup.objects.get()
    assert got.ignored == 0 and group.alert_count == 2 and group.status == GroupStatus.FIRING


@pytest.mark.django_db
def test_a_group_is_opened_with_the_counts_status_and_severity_of_its_first_message(integration):
    got = alerts_receive(
        integration=integration,
        alerts=[
            AlertInput(key="fp1", group_key="g", status="firing", summary="", severity="warning"),
            alert("fp2", group="g", status="acknowledged", severity="critical"),
        ],
        received_at=NOW,
    )
    group = AlertGroup.objects.get()
    assert [g.pk for g in got.opened] == [group.pk]
    assert group.alert_count == 2 and group.status == GroupStatus.ACKNOWLEDGED
    assert group.severity == "critical" and group.summary == "fp2 is wrong"
    assert group.first_seen_at == group.last_seen_at == NOW and group.resolved_at is None
