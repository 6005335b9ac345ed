"""A stand-in for the Slack Web API: a real HTTP server on loopback that answers the methods
IncidentDesk calls the way Slack does (https://api.slack.com/web), keeps the channels, members and
messages those calls make, and records every call.

    standin = SlackStandin(token="xoxb-test").start()
    standin.url                       # what SLACK_API_URL points at ("http://127.0.0.1:<port>/api/")
    standin.fail("views.open", "expired_trigger_id")   # the next views.open is refused
    standin.rate_limit("chat.postMessage", retry_after=7)  # the next one answers 429
    standin.calls_to("chat.postMessage")  # what arrived, in order

Like Slack it answers HTTP 200 with `{"ok": false, "error": ...}` for a refusal, takes form or
JSON bodies, and wants `Authorization: Bearer <token>` (else `not_authed` / `invalid_auth`).
"""

import itertools
import json
import re
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

_NAME = re.compile(r"^[a-z0-9_-]+$")


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    authorization: str
    content_type: str


@dataclass
class Channel:
    id: str
    name: str
    archived: bool = False
    topic: str = ""
    members: set[str] = field(default_factory=set)
    messages: dict[str, dict] = field(default_factory=dict)  # ts -> {"text", "blocks"}


class SlackStandin:
    bot_user = "UBOT000001"
    team_id = "T0000000001"

    def __init__(self, token: str = "xoxb-test-token", app_token: str = "xapp-test-token") -> None:
        self.token = token
        self.app_token = app_token  # what apps.connections.open wants (Socket Mode)
        self.socket_url = ""  # the WebSocket address apps.connections.open hands out
        self.calls: list[Call] = []
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, dict] = {}
        self._planned: dict[str, deque] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- set-up ---------------------------------------------------------------------------------

    def start(self) -> "SlackStandin":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                standin._handle(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def add_channel(self, name: str, *, archived: bool = False, members: tuple = ()) -> Channel:
        with self._lock:
            channel = Channel(id=self._new_id("C"), name=name, archived=archived)
            channel.members.update(members)
            self.channels[channel.id] = channel
            return channel

    def add_user(self, user_id: str, *, name: str, email: str = "", **more: Any) -> None:
        profile = {"display_name": name, "real_name": name.title()}
        if email:
            profile["email"] = email
        self.users[user_id] = {"id": user_id, "name": name, "profile": profile, **more}

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` are refused with Slack's `error`."""
        for _ in range(times):
            self._planned[method].append(("error", error))

    def rate_limit(self, method: str, *, retry_after: int = 30, times: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with `Retry-After`."""
        for _ in range(times):
            self._planned[method].append(("429", retry_after))

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def by_name(self, name: str) -> Channel:
        return next(c for c in self.channels.values() if c.name == name)

    # --- the server side ------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):09d}"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        method = request.path.removeprefix("/api/").split("?")[0]
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode()
        content_type = request.headers.get("Content-Type", "")
        if "json" in content_type:
            args = json.loads(raw or "{}")
        else:
            args = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        authorization = request.headers.get("Authorization", "")
        with self._lock:
            self.calls.append(Call(method, args, authorization, content_type))
            planned = self._planned[method].popleft() if self._planned[method] else None
            if planned and planned[0] == "429":
                return self._send(request, {"ok": False, "error": "ratelimited"}, 429, planned[1])
            if not authorization.startswith("Bearer "):
                answer: dict = {"ok": False, "error": "not_authed"}
            elif authorization != f"Bearer {self._token_for(method)}":
                answer = {"ok": False, "error": "invalid_auth"}
            elif planned:
                answer = {"ok": False, "error": planned[1]}
            else:
                answer = self._answer(method, args)
        self._send(request, answer)

    def _send(self, request, answer: dict, status: int = 200, retry_after: int | None = None):
        body = json.dumps(answer).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            request.send_header("Retry-After", str(retry_after))
        request.end_headers()
        request.wfile.write(body)

    def _token_for(self, method: str) -> str:
        return self.app_token if method == "apps.connections.open" else self.token

    def _answer(self, method: str, args: dict) -> dict:
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(args)

    def _channel(self, args: dict) -> Channel | dict:
        channel = self.channels.get(args.get("channel", ""))
        return channel if channel else {"ok": False, "error": "channel_not_found"}

    @staticmethod
    def _describe(channel: Channel) -> dict:
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.id.startswith("D"),
            "is_archived": channel.archived,
            "topic": {"value": channel.topic},
        }

    def _name_problem(self, name: str, *, but: str = "") -> str:
        if not name:
            return "invalid_name_required"
        if len(name) > 80:
            return "invalid_name_maxlength"
        if not _NAME.match(name):
            return "invalid_name_specials"
        if any(c.name == name and c.id != but for c in self.channels.values()):
            return "name_taken"
        return ""

    def _writable(self, args: dict) -> Channel | dict:
        channel = self._channel(args)
        if isinstance(channel, Channel) and channel.archived:
            return {"ok": False, "error": "is_archived"}
        return channel

    def _m_apps_connections_open(self, args: dict) -> dict:
        if not self.socket_url:
            return {"ok": False, "error": "socket_mode_not_enabled"}
        return {"ok": True, "url": self.socket_url}

    def _m_auth_test(self, args: dict) -> dict:
        return {
            "ok": True,
            "url": "https://incidentdesk-test.slack.com/",
            "team": "IncidentDesk test",
            "user": "incidentdesk",
            "team_id": self.team_id,
            "user_id": self.bot_user,
            "bot_id": "B0000000001",
        }

    def _m_chat_postMessage(self, args: dict) -> dict:  # noqa: N802 - Slack's method name
        if args.get("channel") in self.users:  # a user id: the app's direct messages with them
            args = {**args, "channel": self._direct(args["channel"]).id}
        channel = self._writable(args)
        if isinstance(channel, dict):
            return channel
        if not channel.id.startswith("D") and self.bot_user not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        ts = f"{1767225600 + next(self._ids)}.000100"
        channel.messages[ts] = {"text": args.get("text", ""), "blocks": args.get("blocks")}
        return {"ok": True, "channel": channel.id, "ts": ts, "message": {"text": args.get("text")}}

    def _m_chat_update(self, args: dict) -> dict:
        channel = self._writable(args)
        if isinstance(channel, dict):
            return channel
        if args.get("ts") not in channel.messages:
            return {"ok": False, "error": "message_not_found"}
        channel.messages[args["ts"]] = {"text": args.get("text", ""), "blocks": args.get("blocks")}
        return {"ok": True, "channel": channel.id, "ts": args["ts"], "text": args.get("text")}

    def _m_conversations_create(self, args: dict) -> dict:
        name = args.get("name", "")
        if problem := self._name_problem(name):
            return {"ok": False, "error": problem}
        channel = Channel(id=self._new_id("C"), name=name, members={self.bot_user})
        self.channels[channel.id] = channel
        return {"ok": True, "channel": self._describe(channel)}

    def _m_conversations_rename(self, args: dict) -> dict:
        channel = self._writable(args)
        if isinstance(channel, dict):
            return channel
        if problem := self._name_problem(args.get("name", ""), but=channel.id):
            return {"ok": False, "error": problem}
        channel.name = args["name"]
        return {"ok": True, "channel": self._describe(channel)}

    def _m_conversations_setTopic(self, args: dict) -> dict:  # noqa: N802
        channel = self._writable(args)
        if isinstance(channel, dict):
            return channel
        channel.topic = args.get("topic", "")
        return {"ok": True, "channel": self._describe(channel)}

    def _m_conversations_archive(self, args: dict) -> dict:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        if channel.archived:
            return {"ok": False, "error": "already_archived"}
        channel.archived = True
        return {"ok": True}

    def _m_conversations_unarchive(self, args: dict) -> dict:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        if not channel.archived:
            return {"ok": False, "error": "not_archived"}
        channel.archived = False
        return {"ok": True}

    def _m_conversations_invite(self, args: dict) -> dict:
        channel = self._writable(args)
        if isinstance(channel, dict):
            return channel
        users = [u for u in args.get("users", "").split(",") if u]
        if not users:
            return {"ok": False, "error": "no_user"}
        if len(users) > 1000:
            return {"ok": False, "error": "too_many_users"}
        if unknown := [u for u in users if u not in self.users]:
            return {"ok": False, "error": "user_not_found", "errors": unknown}
        # Slack refuses the whole call when one of them is already in the channel.
        if any(u in channel.members for u in users):
            return {"ok": False, "error": "already_in_channel"}
        channel.members.update(users)
        return {"ok": True, "channel": self._describe(channel)}

    def _m_conversations_open(self, args: dict) -> dict:
        user = args.get("users", "")
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self._direct(user).id}}

    def _direct(self, user: str) -> Channel:
        existing = next((c for c in self.channels.values() if c.name == f"dm-{user}"), None)
        channel = existing or Channel(id=self._new_id("D"), name=f"dm-{user}", members={user})
        self.channels[channel.id] = channel
        return channel

    def direct_messages(self, user: str) -> list[str]:
        """The texts the app sent `user` privately."""
        channel = next((c for c in self.channels.values() if c.name == f"dm-{user}"), None)
        return [m["text"] for m in channel.messages.values()] if channel else []

    def _m_users_info(self, args: dict) -> dict:
        user = self.users.get(args.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_views_open(self, args: dict) -> dict:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        return {"ok": True, "view": {"id": self._new_id("V"), **(view or {})}}
