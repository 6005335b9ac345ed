"""Benchmark: signed Slack event deliveries against `incidentdesk serve` with its worker, and the
command replies they bring back, measured against the floor of the stack in the same run.

The server runs with Slack configured against the Web API stand-in (tests/chat/slack_standin.py,
started in this process, which records when each `chat.postMessage` arrives) and its real worker.
A linked Slack user and an incident with its Slack channel are set up first. Then:

1. floor: as many concurrent requests as the chat phase sends, each `POST /api/v1/bench/floor`
   (the least an authenticated write costs on this stack: incidentdesk/config/bench_floor.py).
2. chat: 50 signed Events API deliveries at once, each an `app_mention` command
   (`action bench <run> <n>`) with its own event_id; half of them are delivered a second time
   at the same moment, as Slack retries (the same event_id, `X-Slack-Retry-Num: 1`).

Prints the acknowledgement latency (p50, p99, max) of both phases and their ratio; events lost
(no action item) and duplicated (two or more); replies lost and duplicated; and the time from
an event's first delivery until the reply `Action item added: …` reached the stand-in (p50,
p99, max).

    python bench/chat.py                        # SQLite (a fresh temp data dir)
    python bench/chat.py --postgres URL         # also on PostgreSQL (its tables are used)
    python bench/chat.py --events 50 --rounds 3

Targets (issue 10), on a 2-core machine: acknowledgement p99 under 300 ms, 0 lost,
0 duplicated, reply p99 under 1 s.
"""

import argparse
import http.client
import json
import sys
import threading
import time
import uuid
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402
    add_postgres_option,
    database_runs,
    machine_load,
    manage,
    quantiles,
    served,
)

from tests.chat.slack_standin import SlackStandin  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
SLACK_USER = "UBENCH0001"
EVENTS_PATH = "/chat/slack/events"
REPLY = "Action item added: "
GIVE_UP_SECONDS = 60.0

SETUP = """
from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import user_create, token_create
from incidentdesk.chat.models import IncidentConversation
from incidentdesk.chat.platforms.base import ChatUser
from incidentdesk.chat.services import identity_for
from incidentdesk.config.bench_floor import floor_table_create
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_declare
floor_table_create()
user = User.objects.filter(username="bench").first() or user_create(
    actor=None, source=ActionSource.CLI, username="bench", email="bench@example.com",
    password="bench-password-123", role="admin")
identity = identity_for("slack", ChatUser(id="{slack_user}", name="bench",
    email="bench@example.com"))
assert identity.user == user, "the Slack user was not linked by email"
incident = incident_declare(actor=user, source=ActionSource.CLI, title="Bench chat",
    severity="major", criteria=["immediate_response"])
# Set-up only: the incident's channel is the stand-in's channel {channel}, made by this script
# (a row left by an earlier run on the same database is replaced).
IncidentConversation.objects.filter(platform="slack", conversation="{channel}").delete()
IncidentConversation.objects.create(incident=incident, platform="slack",
    conversation="{channel}", name="inc-bench")
_, plain = token_create(actor=user, source=ActionSource.CLI, user=user, name="bench",
    scope="write")
print(incident.reference, plain)
"""

COUNT = """
import json
from incidentdesk.chat.models import InboundRecord
from incidentdesk.incidents.models import ActionItem
titles = {{}}
for title in ActionItem.objects.filter(title__startswith="bench {run} ").values_list(
        "title", flat=True):
    titles[title] = titles.get(title, 0) + 1
errors = list(InboundRecord.objects.filter(platform="slack", dedup_key__startswith="Ev{run}")
    .exclude(error="").values_list("error", flat=True)[:3])
print(json.dumps({{"titles": titles, "errors": errors}}))
"""


class TimedStandin(SlackStandin):
    """The stand-in, keeping when each `chat.postMessage` arrived (this process's clock)."""

    def __init__(self, token: str) -> None:
        super().__init__(token=token)
        self.posted: list[tuple[float, str]] = []

    def _m_chat_postMessage(self, args: dict) -> dict:  # noqa: N802 - Slack's method name
        self.posted.append((time.perf_counter(), str(args.get("text") or "")))
        return super()._m_chat_postMessage(args)

    def replies(self, prefix: str) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for at, text in list(self.posted):
            if text.startswith(prefix):
                found.setdefault(text.removeprefix(REPLY), []).append(at)
        return found


def event_body(channel: str, event_id: str, text: str) -> bytes:
    """An Events API `app_mention` as Slack sends it (a retry sends the same body again)."""
    now = time.time()
    return json.dumps(
        {
            "token": "unused-verification-token",
            "team_id": SlackStandin.team_id,
            "api_app_id": "A0BENCH001",
            "event": {
                "type": "app_mention",
                "user": SLACK_USER,
                "text": f"<@{SlackStandin.bot_user}> {text}",
                "ts": f"{now:.6f}",
                "channel": channel,
                "event_ts": f"{now:.6f}",
            },
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(now),
            "authorizations": [
                {
                    "team_id": SlackStandin.team_id,
                    "user_id": SlackStandin.bot_user,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
    ).encode()


def signed(body: bytes, *, retry: int = 0) -> dict:
    """The headers Slack sends with `body`: its v0 signature, and the retry's number."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(
            timestamp=timestamp, body=body
        ),
    }
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return headers


def fire(port: int, requests: list[tuple[str, bytes, dict]]) -> list[tuple[float, float, int]]:
    """Send every request at once, each on its own connection (opened before the start), and
    give back (sent at, latency, status) for each, in order."""
    barrier = threading.Barrier(len(requests) + 1)
    results: list = [None] * len(requests)

    def one(n: int, path: str, body: bytes, headers: dict) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        barrier.wait()
        started = time.perf_counter()
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            response.read()
            results[n] = (started, time.perf_counter() - started, response.status)
        except OSError:
            results[n] = (started, time.perf_counter() - started, 0)
        finally:
            conn.close()

    threads = [
        threading.Thread(target=one, args=(n, *request)) for n, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    return results


def chat_round(port: int, standin: TimedStandin, channel: str, events: int, run: str) -> dict:
    """One burst: `events` deliveries, the first half of them retried at the same moment."""
    texts = {n: f"bench {run} {n}" for n in range(events)}
    requests, first = [], {}
    for n, text in texts.items():
        body = event_body(channel, f"Ev{run}{n:04d}", f"action {text}")
        first[n] = len(requests)
        requests.append((EVENTS_PATH, body, signed(body)))
        if n < events // 2:
            requests.append((EVENTS_PATH, body, signed(body, retry=1)))
    sent = fire(port, requests)
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < deadline:
        replies = standin.replies(f"{REPLY}bench {run} ")
        if len(replies) >= events:
            break
        time.sleep(0.05)
    time.sleep(1.0)  # a duplicate reply would come after the first: give it a moment
    replies = standin.replies(f"{REPLY}bench {run} ")
    reply_latency = [
        min(replies[text]) - sent[first[n]][0] for n, text in texts.items() if text in replies
    ]
    return {
        "texts": texts,
        "acks": [latency for _, latency, _ in sent],
        "refused": [status for _, _, status in sent if status != 200],
        "reply_latency": reply_latency,
        "replies_lost": sum(1 for text in texts.values() if text not in replies),
        "replies_duplicated": sum(1 for times in replies.values() if len(times) > 1),
    }


def run(label: str, env: dict, args) -> dict:
    standin = TimedStandin(token=TOKEN).start()
    announcements = standin.add_channel("incidents", members=(standin.bot_user,))
    channel = standin.add_channel("inc-bench", members=(standin.bot_user, SLACK_USER))
    standin.add_user(SLACK_USER, name="bench", email="bench@example.com")
    env = {
        **env,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": standin.url,
        "SLACK_INCIDENTS_CHANNEL": announcements.id,
    }
    manage(env, "migrate", "-v0")
    reference, token = (
        manage(env, "shell", "-c", SETUP.format(slack_user=SLACK_USER, channel=channel.id))
        .strip()
        .splitlines()[-1]
        .split()
    )
    floor = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    per_round = args.events + args.events // 2
    floor_acks, refused, rounds = [], [], []
    try:
        with served(env, workers=args.workers, threads=args.threads) as (_, port):
            # Warm-up: every web worker and the worker pay their first-request costs here.
            warm = f"warm{uuid.uuid4().hex[:6]}"
            fire(port, [("/api/v1/bench/floor", b'{"note": "warm"}', floor)] * 8)
            chat_round(port, standin, channel.id, 4, warm)
            for n in range(args.rounds):
                body = json.dumps({"note": f"floor {n}"}).encode()
                measured = fire(port, [("/api/v1/bench/floor", body, floor)] * per_round)
                floor_acks += [latency for _, latency, _ in measured]
                refused += [status for _, _, status in measured if status != 201]
                run_id = uuid.uuid4().hex[:8]
                rounds.append((run_id, chat_round(port, standin, channel.id, args.events, run_id)))
            counts = [
                json.loads(
                    manage(env, "shell", "-c", COUNT.format(run=run_id)).strip().splitlines()[-1]
                )
                for run_id, _ in rounds
            ]
    finally:
        standin.stop()
    lost = duplicated = 0
    errors: list[str] = []
    for (_, measured), count in zip(rounds, counts, strict=True):
        made = count["titles"]
        lost += sum(1 for text in measured["texts"].values() if made.get(text, 0) == 0)
        duplicated += sum(1 for text in measured["texts"].values() if made.get(text, 0) > 1)
        errors += count["errors"]
    return {
        "database": label,
        "reference": reference,
        "floor": quantiles(floor_acks),
        "floor_refused": len(refused),
        "ack": quantiles([a for _, m in rounds for a in m["acks"]]),
        "ack_refused": [s for _, m in rounds for s in m["refused"]],
        "deliveries": sum(len(m["acks"]) for _, m in rounds),
        "events": args.events * args.rounds,
        "lost": lost,
        "duplicated": duplicated,
        "replies_lost": sum(m["replies_lost"] for _, m in rounds),
        "replies_duplicated": sum(m["replies_duplicated"] for _, m in rounds),
        "reply": quantiles([r for _, m in rounds for r in m["reply_latency"]]),
        "errors": errors,
    }


def report(results: list[dict]) -> None:
    print(
        f"{'database':<12}{'phase':<8}{'requests':>9}{'refused':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'p99÷floor':>11}"
    )
    for r in results:
        floor_p99 = r["floor"]["p99_ms"]
        for phase, figures, requests, refused in (
            ("floor", r["floor"], r["deliveries"], r["floor_refused"]),
            ("ack", r["ack"], r["deliveries"], len(r["ack_refused"])),
            ("reply", r["reply"], r["events"], r["replies_lost"]),
        ):
            ratio = figures["p99_ms"] / floor_p99 if floor_p99 else float("nan")
            print(
                f"{r['database']:<12}{phase:<8}{requests:>9}{refused:>8}{figures['p50_ms']:>9}"
                f"{figures['p99_ms']:>9}{figures['max_ms']:>9}{ratio:>11.2f}"
            )
        print(
            f"{r['database']:<12}events {r['events']} (half delivered twice): lost {r['lost']},"
            f" duplicated {r['duplicated']}; replies lost {r['replies_lost']},"
            f" duplicated {r['replies_duplicated']}"
        )
        if r["ack_refused"]:
            print("  refused deliveries' statuses:", sorted(set(r["ack_refused"])))
        for error in r["errors"]:
            print("  an event's error:", error)


def verdict(results: list[dict]) -> None:
    for r in results:
        checks = (
            ("acknowledgement p99 < 300 ms", r["ack"]["p99_ms"] < 300, f"{r['ack']['p99_ms']} ms"),
            ("0 lost", r["lost"] == 0 and not r["ack_refused"], str(r["lost"])),
            ("0 duplicated", r["duplicated"] == 0, str(r["duplicated"])),
            ("reply p99 < 1 s", r["reply"]["p99_ms"] < 1000 and not r["replies_lost"], ""),
        )
        for name, met, figure in checks:
            shown = figure or f"{r['reply']['p99_ms']} ms, {r['replies_lost']} never came"
            print(f"{r['database']}: target {name} → {'met' if met else 'MISSED'} ({shown})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=50, help="events per burst")
    parser.add_argument("--rounds", type=int, default=1, help="bursts, one after the other")
    parser.add_argument("--workers", type=int, default=2, help="web server processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per web process")
    add_postgres_option(parser)
    args = parser.parse_args()

    runs = database_runs(args.postgres)
    print(machine_load())
    print(
        f"{args.rounds} × {args.events} events at once, the first {args.events // 2} of each"
        f" delivered twice ({args.events + args.events // 2} requests a burst);"
        f" floor: as many POST /api/v1/bench/floor at once"
    )
    results = [run(label, env, args) for label, env in runs]
    report(results)
    verdict(results)


if __name__ == "__main__":
    main()
