"""The sync worker: what a platform that is pulled from (Matrix's `/sync`) brings in, stored
once and handed to the queue, as the web door does for what Slack pushes.

One loop per install (`incidentdesk chat sync`, which `serve` starts when Matrix is
configured). Each round:

1. long-polls the platform from the token kept in the platform's `Cursor` row;
2. answers the invitations it brought (the platform decides whether to join);
3. in one transaction, stores each event with `inbound_record` and the next token in the
   cursor; once that commits, each new event is queued for `tasks.handle_inbound`.

A crash before the commit reads the same events again from the old token; a repeat the
de-duplication store has seen is not acted on again, so nothing is lost or done twice.

On the very first start (no cursor yet) nothing old is acted on: the worker reads up to now,
answering invitations but storing no event, and keeps that token. (History from before the
bot listened is not a request to act now.)

It never stops on an error of its own (under `serve` that would stop the web server too):
a rate limit waits as long as the homeserver asks, other failures (the network, the
homeserver, the database) are tried again after 1 s, doubling to a minute. `stop` (an event
a signal handler or a test sets) ends it between rounds; a batch polled after the stop is left
for the next start to read again.
"""

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from django.db import DatabaseError, close_old_connections, connections, transaction
from django.utils import timezone

from incidentdesk.chat.models import Cursor
from incidentdesk.chat.platforms.base import ChatError, InboundEvent, RateLimited
from incidentdesk.chat.queue import after_commit
from incidentdesk.chat.services import inbound_record
from incidentdesk.chat.tasks import handle_inbound
from incidentdesk.core.errors import IncidentDeskError

logger = logging.getLogger(__name__)

WAIT_MS = 25_000  # one long poll; within serve's 30 s grace for a stop
FIRST_START_ROUNDS = 20  # reads to catch up to now on the first start, at most
BACKOFF_FIRST = 1.0
BACKOFF_MOST = 60.0


class Invitation(Protocol):
    @property
    def room(self) -> str: ...


class Batch(Protocol):
    @property
    def events(self) -> Sequence[InboundEvent]: ...
    @property
    def next_batch(self) -> str: ...
    @property
    def invites(self) -> Sequence[Invitation]: ...


class PulledPlatform(Protocol):
    """What the worker needs of a platform it pulls from (MatrixPlatform)."""

    kind: str

    def poll(self, since: str = "", *, wait_ms: int = 0) -> Batch: ...

    def answer_invite(self, invite: Invitation, /) -> bool: ...


class SyncWorker:
    def __init__(
        self,
        platform: PulledPlatform,
        *,
        wait_ms: int = WAIT_MS,
        stop: threading.Event | None = None,
    ) -> None:
        self.platform = platform
        self.wait_ms = wait_ms
        self.stop = stop or threading.Event()
        # Held while a batch is stored and queued: a stop waits for it (see `halt`).
        self._storing = threading.Lock()

    # The loop ----------------------------------------------------------------------------

    def run(self) -> None:
        """Round after round until `stop` is set; errors are waited out, never raised."""
        delay = BACKOFF_FIRST
        try:
            while not self.stop.is_set():
                close_old_connections()  # a connection the database dropped is opened again
                try:
                    self.step()
                except RateLimited as exc:
                    logger.warning(
                        "%s sync: rate limited; waiting %g s", self.kind, exc.retry_after
                    )
                    self.stop.wait(exc.retry_after)
                    continue
                except (ChatError, DatabaseError) as exc:
                    logger.warning("%s sync failed (%s); again in %g s", self.kind, exc, delay)
                except Exception:
                    logger.exception("%s sync failed; again in %g s", self.kind, delay)
                else:
                    delay = BACKOFF_FIRST
                    continue
                self.stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MOST)
        finally:
            connections.close_all()  # this thread's own

    def step(self) -> int:
        """One round (the first start's catching up, or one poll); errors are raised. The
        number of new events handed to the queue."""
        since = self._cursor()
        if not since:
            self._start_from_now()
            return 0
        batch = self.platform.poll(since, wait_ms=self.wait_ms)
        self._answer_invites(batch.invites)
        return self._store(batch.events, batch.next_batch)

    def halt(self) -> None:
        """Stop, waiting for a batch being stored to be stored (a poll in flight is not waited
        for: its batch is read again on the next start)."""
        self.stop.set()
        with self._storing:
            pass

    @property
    def kind(self) -> str:
        return self.platform.kind

    # Rounds ------------------------------------------------------------------------------

    def _start_from_now(self) -> None:
        """Read up to now without acting on any event, answering invitations; keep the token.
        (A homeserver may answer a first read from a cache a few minutes old, so the worker
        reads on until a read brings nothing new.)"""
        batch = self.platform.poll("", wait_ms=0)
        self._answer_invites(batch.invites)
        token = batch.next_batch
        for _ in range(FIRST_START_ROUNDS):
            batch = self.platform.poll(token, wait_ms=0)
            self._answer_invites(batch.invites)
            if batch.next_batch == token:
                break
            token = batch.next_batch
        self._store([], token)
        logger.info("%s sync: first start; reading from now on", self.kind)

    def _answer_invites(self, invites: Sequence[Invitation]) -> None:
        for invite in invites:
            try:
                joined = self.platform.answer_invite(invite)
            except RateLimited:
                raise
            except ChatError as exc:  # withdrawn, or the room is gone: the rest go on
                logger.warning("%s sync: invitation to %s: %s", self.kind, invite.room, exc)
                continue
            logger.info(
                "%s sync: %s the invitation to %s",
                self.kind,
                "accepted" if joined else "declined",
                invite.room,
            )

    def _store(self, events: Sequence[InboundEvent], token: str) -> int:
        with self._storing:
            if self.stop.is_set() and events:
                return 0  # read again from the stored token on the next start
            new = 0
            with transaction.atomic():
                for event in events:
                    try:
                        record, created = inbound_record(event)
                    except IncidentDeskError as exc:  # an id too long to keep: left out
                        logger.warning("%s sync: event %s left out: %s", self.kind, event, exc)
                        continue
                    if created:
                        new += 1
                        after_commit(handle_inbound, record.pk)
                Cursor.objects.update_or_create(
                    platform=self.kind, defaults={"value": token, "updated_at": timezone.now()}
                )
            return new

    def _cursor(self) -> str:
        cursor = Cursor.objects.filter(platform=self.kind).first()
        return cursor.value if cursor is not None else ""
