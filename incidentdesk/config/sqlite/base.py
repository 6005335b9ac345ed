"""SQLite whose writers queue on a lock file instead of sleeping in SQLite's busy handler.

With `transaction_mode=IMMEDIATE` a transaction takes SQLite's write lock when it begins. A
writer that finds it taken sleeps in SQLite's busy handler in growing steps (1, 2, 5, 10 … up to
100 ms) and often wakes long after the lock came free, so a few concurrent writers lose most of
their time asleep. Here every write first takes an exclusive `flock` on `<database>.writelock`
(one open file per connection, so threads and processes exclude each other alike), asking again
every fraction of a millisecond while someone else holds it: a transaction from its BEGIN to its
commit or rollback, a write outside a transaction (which SQLite runs as a transaction of its
own) for that one statement. SQLite's own lock is then nearly always free when asked for.

The wait is bounded by the database's `timeout` option (SQLite's busy timeout, 5 s by default)
and ends in the error a busy timeout gives: `OperationalError("database is locked")`. In-memory
databases have no file and take no lock.
"""

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

FIRST_PAUSE, LONGEST_PAUSE = 0.0002, 0.002  # seconds between two tries of a taken lock
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteLock:
    """An exclusive flock on one file, held by one connection at a time."""

    def __init__(self, path: str, timeout: float):
        self.path, self.timeout = path, timeout
        self.fd: int | None = None
        self.held = False

    def take(self) -> None:
        if self.held:
            return
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fd = self.fd
        deadline = time.monotonic() + self.timeout
        pause = FIRST_PAUSE
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
            else:
                self.held = True
                return

    def give(self) -> None:
        if self.held and self.fd is not None:
            self.held = False
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.give()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class Cursor(base.SQLiteCursorWrapper):
    write_lock: WriteLock | None = None

    def execute(self, query, params=None):
        with self._locked_if_alone(query):
            return super().execute(query, params)

    def executemany(self, query, param_list):
        with self._locked_if_alone(query):
            return super().executemany(query, param_list)

    @contextmanager
    def _locked_if_alone(self, query: str) -> Iterator[None]:
        """Hold the lock around a write outside a transaction (inside one, the transaction
        holds it already)."""
        lock = self.write_lock
        if (
            lock is None
            or self.connection.in_transaction
            or not query.lstrip()[:7].upper().startswith(WRITES)
        ):
            yield
            return
        lock.take()
        try:
            yield
        finally:
            lock.give()


class DatabaseWrapper(base.DatabaseWrapper):
    write_lock: WriteLock | None = None

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.write_lock is None and not self.is_in_memory_db():
            self.write_lock = WriteLock(
                f"{self.settings_dict['NAME']}.writelock",
                timeout=self.settings_dict["OPTIONS"].get("timeout", 5),
            )
        return connection

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=Cursor)
        cursor.write_lock = self.write_lock
        return cursor

    def _start_transaction_under_autocommit(self):
        if self.write_lock is not None:
            self.write_lock.take()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._give_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._give_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._give_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            if self.write_lock is not None:
                self.write_lock.close()

    def _give_write_lock(self) -> None:
        if self.write_lock is not None:
            self.write_lock.give()
