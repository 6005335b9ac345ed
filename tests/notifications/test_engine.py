"""The engine knows no domain: channel kinds, renderers and audiences are registered with it,
and a new kind carries events without any change to the engine."""

import ast
import pathlib
from dataclasses import dataclass

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from incidentdesk.notifications import registry, tasks
from incidentdesk.notifications.channels.base import Outcome
from incidentdesk.notifications.models import Delivery, OutboxEvent
from incidentdesk.notifications.outbox import emit
from tests.notifications.test_delivery import incident_emails

ENGINE = pathlib.Path(__file__).parents[2] / "incidentdesk" / "notifications"


def _imported_domains(path: pathlib.Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        found |= {name.split(".")[1] for name in names if name.startswith("incidentdesk.")}
    return found


def test_the_engine_imports_only_core_and_accounts():
    modules = [p for p in ENGINE.rglob("*.py") if "migrations" not in p.parts]
    assert len(modules) > 10
    imported = set().union(*(_imported_domains(p) for p in modules))
    assert imported <= {"core", "accounts", "notifications"}, imported


@pytest.fixture
def clean_registry():
    """Registrations made by a test are forgotten after it."""
    saved = [dict(d) for d in (registry._kinds, registry._renderers, registry._audiences)]
    saved_topics, saved_default = dict(registry._topic_audience), dict(registry._default)
    yield registry
    for live, copy in zip(
        (registry._kinds, registry._renderers, registry._audiences), saved, strict=True
    ):
        live.clear()
        live.update(copy)
    registry._topic_audience.clear()
    registry._topic_audience.update(saved_topics)
    registry._default.clear()
    registry._default.update(saved_default)


SENT: list[tuple[str, dict, str]] = []


class PagerChannel:
    """A channel kind brought by a test: it records what it would send."""

    def send(self, batch):
        for delivery in batch:
            words = registry.words_for(delivery.event.topic, delivery.event.payload, "pager")
            SENT.append((delivery.recipient, words, delivery.standing.unsubscribe_url))
            yield Outcome(delivery)


@dataclass
class OnCall:
    name: str = "test.on_call"

    def recipients(self, event):
        return [registry.Recipient("pager", f"pager:{n}", str(n)) for n in event.component_ids]

    def standing(self, references):
        return {ref: registry.Standing(unsubscribe_url=f"stop/{ref}") for ref in references}


@pytest.mark.django_db
def test_a_new_channel_kind_carries_events_worded_by_its_registered_renderer(clean_registry):
    SENT.clear()
    clean_registry.register_channel_kind("pager", PagerChannel)
    clean_registry.register_audience(OnCall(), topics=["disk.full"])
    clean_registry.register_renderer(
        "disk.full", "pager", lambda data: {"line": f"Disk {data['disk']} is full"}
    )
    event = emit(topic="disk.full", payload={"disk": "sda"}, to_subscribers=True, component_ids=[7])
    # Worded when emitted, and stored: a retry sends these words.
    assert event.payload == {"disk": "sda", "pager": {"line": "Disk sda is full"}}
    tasks.fan_out.call_local(event.pk)
    tasks.deliver.call_local()
    assert SENT == [("pager:7", {"line": "Disk sda is full"}, "stop/7")]
    row = Delivery.objects.get(event=event)
    assert (row.channel, row.audience, row.reference, row.key) == (
        "pager",
        "test.on_call",
        "7",
        f"{event.pk}:7",
    )
    assert row.status == "sent"


@pytest.mark.django_db
def test_a_renderer_run_at_fan_out_sees_what_the_transaction_did_after_emitting(clean_registry):
    clean_registry.register_renderer(
        "late.topic",
        "email",
        lambda data: {"subject": f"{OutboxEvent.objects.count()} events", "text": ""},
        when="fan_out",
    )
    event = emit(topic="late.topic", payload={}, staff_emails=["ops@example.com"])
    assert "email" not in OutboxEvent.objects.get(pk=event.pk).payload
    emit(topic="other.topic", payload={"email": {"subject": "x", "text": ""}})
    tasks.fan_out.call_local(event.pk)
    seen = OutboxEvent.objects.get(pk=event.pk).payload["email"]
    assert seen == {"subject": "2 events", "text": ""}


def test_an_html_alternative_is_sent_and_loads_nothing(
    clean_registry, smtp, subscribe, publish, settings
):
    from incidentdesk.statuspage.messages import incident_email

    def with_html(data):
        words = incident_email(data)
        html = (
            "<p>Payments &amp; more</p><img src='https://tracker.example/p.png'>"
            "<script>alert(1)</script><a href='https://status.example.com/x'>follow</a>"
            "<iframe src='file:///etc/passwd'></iframe>"
        )
        return {**words, "html": html}

    clean_registry._renderers.pop(("incident.updated", "email"))
    clean_registry.register_renderer("incident.updated", "email", with_html)
    subscribe(email="ann@example.com")
    publish()
    [message] = incident_emails(smtp, "ann@example.com")
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "We are looking into failed card payments." in text
    assert "Unsubscribe with one click: https://status.example.com/unsubscribe/" in text
    assert "Payments &amp; more" in html and 'href="https://status.example.com/x"' in html
    assert "https://status.example.com/unsubscribe/" in html
    for loads in ("<img", "<script", "<iframe", "tracker.example", "/etc/passwd"):
        assert loads not in html


@pytest.mark.django_db(transaction=True)
def test_subscribers_and_their_deliveries_survive_the_move_to_the_status_page():
    executor = MigrationExecutor(connection)
    before = [("notifications", "0001_initial"), ("statuspage", "0002_render_failure")]
    after = [
        ("notifications", "0002_delivery_recipient_reference"),
        ("statuspage", "0003_subscribers"),
    ]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    component = old.get_model("incidents", "Component").objects.create(name="API")
    subscriber = old.get_model("notifications", "Subscriber").objects.create(
        kind="email", email="ann@example.com", confirmed_at=timezone.now()
    )
    subscriber.components.add(component)
    event = old.get_model("notifications", "OutboxEvent").objects.create(topic="incident.updated")
    old.get_model("notifications", "Delivery").objects.create(
        event=event, subscriber=subscriber, channel="email", recipient="ann@example.com", key="k1"
    )
    old.get_model("notifications", "SubscribeAttempt").objects.create(ip="192.0.2.1")
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    moved = new.get_model("statuspage", "Subscriber").objects.get()
    assert (moved.pk, moved.email) == (subscriber.pk, "ann@example.com")
    assert list(moved.components.values_list("name", flat=True)) == ["API"]
    delivery = new.get_model("notifications", "Delivery").objects.get()
    assert (delivery.audience, delivery.reference) == ("statuspage.subscribers", str(moved.pk))
    assert new.get_model("statuspage", "SubscribeAttempt").objects.get().ip == "192.0.2.1"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
