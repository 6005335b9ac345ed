"""Matrix end to end: people talk to the bot on a real Synapse (tests/chat/synapse.py), the sync
worker (chat/matrix_sync.py) reads it in this process one round at a time, acts through the
same services as the web, and answers in the room through the outbox.

The tests are transactional: the worker commits as it would in production, and the work queued
on commit (acting on the event, the bot's reply) runs inline (tasks run immediately in tests).
"""

import json
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidentdesk.chat import registry as platforms
from incidentdesk.chat.matrix_sync import SyncWorker
from incidentdesk.chat.models import ChatMessage, Cursor, InboundRecord, IncidentConversation
from incidentdesk.chat.platforms.base import ChatUser
from incidentdesk.chat.platforms.matrix import MatrixPlatform
from incidentdesk.chat.services import identity_for, identity_link
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, Incident, TimelineEntry
from tests.chat.synapse import MatrixUser, MatrixWorld
from tests.config.test_processes import children_of, start_serve
from tests.processes import free_port, wait_for

pytest_plugins = ["tests.chat.matrix_fixtures"]  # the `synapse` fixture
pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 2_000  # one poll: it answers as soon as anything new is there


@pytest.fixture
def bot(synapse: MatrixWorld):
    """The platform as the bot, registered as the install's Matrix, announcing in a room of
    its own that alice is in."""
    platform = MatrixPlatform(
        homeserver_url=synapse.server.url, bot_user=synapse.bot.user_id, token=synapse.bot.token
    )
    platform.incidents_room = room_with(platform, synapse, synapse.alice, name="incidents")
    platforms.register_platform("matrix", lambda: platform)
    yield platform
    platforms.unregister_platform("matrix")


@pytest.fixture
def worker(bot):
    """The sync worker, started once: from here on it reads what is said."""
    worker = SyncWorker(bot, wait_ms=WAIT_MS)
    assert worker.step() == 0
    return worker


@pytest.fixture
def linked(synapse, admin, responder, manager):
    """alice is the responder's chat account, bob the manager's."""

    def link(who: MatrixUser, user) -> None:
        identity = identity_for("matrix", ChatUser(who.user_id, who.user_id[1:].split(":")[0]))
        identity_link(actor=admin, source=ActionSource.WEB, identity=identity, user=user)

    link(synapse.alice, responder)
    link(synapse.bob, manager)


def room_with(platform: MatrixPlatform, synapse: MatrixWorld, *people: MatrixUser, name: str):
    room = platform.create_conversation(name, topic=name).id
    platform.invite(room, [person.user_id for person in people])
    for person in people:
        synapse.as_user(person, "POST", f"/join/{room}")
    return room


def say(synapse: MatrixWorld, who: MatrixUser, room: str, body: str, **content) -> str:
    path = f"/rooms/{room}/send/m.room.message/{uuid.uuid4().hex}"
    sent = {"msgtype": "m.text", "body": body, **content}
    return synapse.as_user(who, "PUT", path, sent)["event_id"]


def bot_said(synapse: MatrixWorld, room: str) -> list[str]:
    answer = synapse.as_user(synapse.alice, "GET", f"/rooms/{room}/messages?dir=b&limit=50")
    return [
        event["content"].get("body", "")
        for event in reversed(answer["chunk"])
        if event["type"] == "m.room.message" and event["sender"] == synapse.bot.user_id
    ]


def handled(worker: SyncWorker, event_id: str) -> InboundRecord:
    """Rounds of the worker until the event `event_id` was acted on."""

    def done():
        worker.step()
        return InboundRecord.objects.filter(dedup_key=event_id, processed_at__isnull=False).first()

    return wait_for(done, seconds=20, what=f"the worker to act on {event_id}", every=0)


@pytest.fixture
def incident_room(bot, synapse, declare):
    incident = declare()
    room = room_with(bot, synapse, synapse.alice, synapse.bob, name="inc-room")
    IncidentConversation.objects.create(incident=incident, platform="matrix", conversation=room)
    return incident, room


def test_a_linked_person_declares_with_a_bang_command_and_is_answered_with_the_reference(
    bot, synapse, worker, linked, responder
):
    sent = say(synapse, synapse.alice, bot.incidents_room, "!incident sev trivial Database is slow")
    record = handled(worker, sent)
    assert record.error == ""
    incident = Incident.objects.get(title="Database is slow")
    assert incident.severity.key == "trivial"
    first = TimelineEntry.objects.filter(incident=incident).order_by("pk").first()
    assert (first.source, first.author) == ("chat", responder)
    said = bot_said(synapse, bot.incidents_room)
    assert any(f"Declared {incident.reference}" in text for text in said)
    # The announcement, in the announcements room (the same room here).
    assert any(text.startswith(f"{incident.reference}: Database is slow") for text in said)


def test_a_bang_command_and_a_mention_in_the_incidents_room_change_it_as_the_speaker(
    bot, synapse, worker, linked, incident_room, responder, manager
):
    incident, room = incident_room
    sev = say(synapse, synapse.alice, room, "!sev trivial")
    handled(worker, sev)
    handled(worker, f"{sev}:message")  # said in the room: in its transcript too
    assert ChatMessage.objects.filter(message=sev, text="!sev trivial").exists()
    bot_id, bob = synapse.bot.user_id, synapse.bob.user_id
    # As a client writes a mention: display names in the body, pills in the formatted body.
    mention = say(
        synapse,
        synapse.alice,
        room,
        "Incident Desk: lead Bob",
        format="org.matrix.custom.html",
        formatted_body=f'<a href="https://matrix.to/#/{bot_id}">Incident Desk</a>: lead '
        f'<a href="https://matrix.to/#/{bob}">Bob</a>',
        **{"m.mentions": {"user_ids": [bot_id, bob]}},
    )
    record = handled(worker, mention)
    assert (record.kind, record.details["text"], record.error) == ("command", f"lead <@{bob}>", "")
    incident.refresh_from_db()
    assert incident.severity.key == "trivial"
    severity = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.FIELD_CHANGE).get()
    assert (severity.source, severity.author) == ("chat", responder)
    lead = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.ROLE_CHANGE).last()
    assert (lead.source, lead.data["to"]) == ("chat", manager.username)
    assert any("trivial" in text.lower() for text in bot_said(synapse, room))


def test_an_unlinked_person_is_told_how_to_get_linked_and_nothing_is_written(
    bot, synapse, worker, incident_room
):
    incident, room = incident_room
    entries = TimelineEntry.objects.filter(incident=incident).count()
    record = handled(worker, say(synapse, synapse.bob, room, "!sev trivial"))
    assert "not linked" in record.error
    incident.refresh_from_db()
    assert incident.severity.key == "major"
    assert TimelineEntry.objects.filter(incident=incident).count() == entries
    assert any("not linked" in text for text in bot_said(synapse, room))


def test_reading_again_from_an_old_cursor_acts_on_nothing_twice(
    bot, synapse, worker, linked, incident_room
):
    incident, room = incident_room
    old = Cursor.objects.get(platform="matrix").value
    sent = say(synapse, synapse.alice, room, "!note the replica lags")
    handled(worker, sent)
    assert sent in {event.dedup_key for event in bot.poll(old).events}  # still there to re-read
    entries, replies = TimelineEntry.objects.count(), len(bot_said(synapse, room))
    Cursor.objects.filter(platform="matrix").update(value=old)  # a crash before the cursor moved
    restarted = SyncWorker(bot, wait_ms=WAIT_MS)
    assert restarted.step() == 0
    assert TimelineEntry.objects.count() == entries
    assert len(bot_said(synapse, room)) == replies
    assert Cursor.objects.get(platform="matrix").value != old


def test_the_first_start_acts_on_nothing_said_before_it(bot, synapse, linked, incident_room):
    incident, room = incident_room
    say(synapse, synapse.alice, room, "!sev trivial")
    assert SyncWorker(bot, wait_ms=WAIT_MS).step() == 0
    assert Cursor.objects.get(platform="matrix").value
    assert not InboundRecord.objects.exists()
    incident.refresh_from_db()
    assert incident.severity.key == "major"


def test_an_invitation_is_accepted_and_the_rooms_history_is_not_acted_on(
    bot, synapse, worker, linked
):
    bot_id = synapse.bot.user_id
    room = synapse.as_user(synapse.alice, "POST", "/createRoom", {"preset": "private_chat"})
    room = room["room_id"]
    old = say(synapse, synapse.alice, room, "!incident Said before the bot came")
    synapse.as_user(synapse.alice, "POST", f"/rooms/{room}/invite", {"user_id": bot_id})

    def joined():
        worker.step()
        member = synapse.as_user(
            synapse.alice, "GET", f"/rooms/{room}/state/m.room.member/{bot_id}"
        )
        return member["membership"] == "join"

    wait_for(joined, seconds=20, what="the bot to join", every=0)
    later = say(synapse, synapse.alice, room, "hello bot")
    handled(worker, later)
    assert not InboundRecord.objects.filter(dedup_key=old).exists()
    assert not Incident.objects.filter(title="Said before the bot came").exists()


def test_the_sync_command_runs_one_round(bot, synapse, capsys):
    call_command("chat", "sync", "--once", "--wait", "0")
    assert Cursor.objects.get(platform="matrix").value
    assert "0 new events" in capsys.readouterr().out


def test_the_sync_command_without_a_matrix_bot_says_which_setting_is_missing(db):
    with pytest.raises(CommandError, match="MATRIX_BOT_TOKEN: is not set"):
        call_command("chat", "sync", "--once")


class ScriptedHomeserver:
    """A homeserver on loopback whose `/sync` gives the answers it is told, one a request
    (the last one again once they run out), and notes when each request came."""

    def __init__(self, answers: list[tuple[int, dict]]):
        self.answers = answers
        self.times: list[float] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                scripted.times.append(time.monotonic())
                status, body = scripted.answers[min(len(scripted.times), len(answers)) - 1]
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_the_worker_waits_out_a_rate_limit_and_backs_off_after_a_failure_until_stopped():
    homeserver = ScriptedHomeserver(
        [
            (429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 300}),
            (502, {"errcode": "M_UNKNOWN", "error": "bad gateway"}),
            (200, {"next_batch": "s2"}),
        ]
    )
    try:
        platform = MatrixPlatform(
            homeserver_url=homeserver.url, bot_user="@bot:example.org", token="t"
        )
        Cursor.objects.create(platform="matrix", value="s1")
        worker = SyncWorker(platform, wait_ms=0)
        loop = threading.Thread(target=worker.run)
        loop.start()
        wait_for(
            lambda: Cursor.objects.get(platform="matrix").value == "s2",
            seconds=10,
            what="the worker to read on after the failures",
        )
        worker.halt()
        loop.join(timeout=10)
        assert not loop.is_alive()
        first, second, third = homeserver.times[:3]
        assert second - first >= 0.3  # as long as the homeserver asked
        assert third - second >= 1.0  # the first back-off after a failure
    finally:
        homeserver.server.shutdown()
        homeserver.server.server_close()


def test_serve_runs_the_matrix_sync_when_the_bot_is_configured(synapse, own_env, tmp_path):
    own_env.update(
        MATRIX_HOMESERVER_URL=synapse.server.url,
        MATRIX_BOT_USER=synapse.bot.user_id,
        MATRIX_BOT_TOKEN=synapse.bot.token,
    )
    serve = start_serve(own_env, tmp_path, free_port())
    try:
        room = synapse.as_user(synapse.alice, "POST", "/createRoom", {"preset": "private_chat"})
        room = room["room_id"]
        bot = synapse.bot.user_id
        synapse.as_user(synapse.alice, "POST", f"/rooms/{room}/invite", {"user_id": bot})

        def joined():
            path = f"/rooms/{room}/state/m.room.member/{bot}"
            return synapse.as_user(synapse.alice, "GET", path)["membership"] == "join"

        wait_for(joined, seconds=60, what="serve's Matrix sync to accept the invitation")
        assert any("incidentdesk chat sync" in cmd for cmd in children_of(serve.pid).values())
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=45) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
