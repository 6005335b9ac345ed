"""HTTP to the homeserver: the Client-Server API v3 as JSON over the standard library.

Why not matrix-nio or mautrix: both are asyncio clients, and our outbound calls run in Huey's
synchronous worker threads, where each call would need an event loop of its own for a single
request; their value (end-to-end encryption, a sync loop, typed events) is what a bot in
unencrypted incident rooms does not use. What we need is about a dozen plain JSON endpoints
with one error shape (`{"errcode": …, "error": …}`), which `urllib` does in a page and which
adds no dependency (slack-sdk, our other chat client, does not bring an HTTP library either).
"""

import json
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

from incidentdesk.chat.platforms.base import ChatError, RateLimited

TIMEOUT_SECONDS = 30


def segment(value: str) -> str:
    """One path segment (a room id, a user id, a transaction id), escaped."""
    return quote(value, safe="")


class MatrixAPI:
    def __init__(self, homeserver_url: str, token: str) -> None:
        self.base = homeserver_url.rstrip("/")
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        query: dict[str, str] | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> dict:
        """`path` is under `/_matrix/client/v3`. A refusal raises `ChatError` with Matrix's
        `errcode`; `M_LIMIT_EXCEEDED` raises `RateLimited` with the wait the server asked for."""
        url = f"{self.base}/_matrix/client/v3{path}"
        if query:
            url += "?" + urlencode(query)
        request = urllib.request.Request(
            url,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise refusal(exc.code, exc.read(), exc.headers.get("Retry-After")) from exc
        except (OSError, ValueError) as exc:
            raise ChatError("network_error", f"{method} {path}: {exc}") from exc


def refusal(status: int, raw: bytes, retry_after_header: str | None = None) -> ChatError:
    """The `ChatError` for an error answer: Matrix's own `errcode`, else `http_<status>`."""
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    code = str(answer.get("errcode") or f"http_{status}")
    if status == 429 or code == "M_LIMIT_EXCEEDED":
        wait_ms = answer.get("retry_after_ms")
        if isinstance(wait_ms, int | float):
            return RateLimited(wait_ms / 1000)
        try:
            return RateLimited(float(retry_after_header or 1))
        except ValueError:
            return RateLimited(1.0)
    return ChatError(code, str(answer.get("error") or code))
