"""On SQLite every write queues on the database's lock file (incidentdesk/config/sqlite): a
transaction holds it from BEGIN to its commit or rollback, a write outside a transaction for
its one statement, and a writer that cannot get it in the database's timeout fails as a busy
SQLite does."""

import copy
import fcntl
import os

import pytest
from django.db import connection
from django.db.utils import OperationalError

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the lock file is the SQLite backend's"
)


@pytest.fixture
def database(tmp_path, django_db_blocker):
    """A fresh database file with one table, and a way to open connections to it."""
    opened = []

    def connect(timeout=0.2):
        from incidentdesk.config.sqlite.base import DatabaseWrapper

        settings = copy.deepcopy(connection.settings_dict)
        settings["NAME"] = str(tmp_path / "desk.sqlite3")
        settings["OPTIONS"]["timeout"] = timeout
        wrapper = DatabaseWrapper(settings, alias=f"lock-test-{len(opened)}")
        opened.append(wrapper)
        return wrapper

    with django_db_blocker.unblock():
        with connect().cursor() as cursor:
            cursor.execute("CREATE TABLE note (id integer PRIMARY KEY, body text)")
        yield connect
        for wrapper in opened:
            wrapper.close()


@pytest.fixture
def lock_file(tmp_path):
    """The lock file, opened as another process would open it."""
    descriptor = os.open(tmp_path / "desk.sqlite3.writelock", os.O_RDWR | os.O_CREAT)
    yield descriptor
    os.close(descriptor)


def is_free(descriptor) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(descriptor, fcntl.LOCK_UN)
    return True


def begin(wrapper):
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def end(wrapper, *, commit: bool):
    wrapper.commit() if commit else wrapper.rollback()
    wrapper.set_autocommit(True)


@pytest.mark.parametrize("commit", [True, False], ids=["commit", "rollback"])
def test_a_transaction_holds_the_lock_file_until_it_ends(database, lock_file, commit):
    writer = database()
    begin(writer)
    with writer.cursor() as cursor:
        cursor.execute("INSERT INTO note (body) VALUES (%s)", ["first"])
    assert not is_free(lock_file)
    end(writer, commit=commit)
    assert is_free(lock_file)


def test_a_writer_waits_for_the_lock_file_and_fails_as_a_busy_database_does(database, lock_file):
    fcntl.flock(lock_file, fcntl.LOCK_EX)  # someone else is writing
    writer = database(timeout=0.2)
    with pytest.raises(OperationalError, match="database is locked"):
        begin(writer)
    writer.set_autocommit(True)
    fcntl.flock(lock_file, fcntl.LOCK_UN)
    begin(writer)
    with writer.cursor() as cursor:
        cursor.execute("INSERT INTO note (body) VALUES (%s)", ["after the wait"])
    end(writer, commit=True)
    with database().cursor() as cursor:
        cursor.execute("SELECT body FROM note")
        assert cursor.fetchall() == [("after the wait",)]


def test_a_write_outside_a_transaction_waits_for_the_lock_file_too(database, lock_file):
    fcntl.flock(lock_file, fcntl.LOCK_EX)
    writer = database(timeout=0.2)
    with pytest.raises(OperationalError, match="database is locked"), writer.cursor() as cursor:
        cursor.execute("INSERT INTO note (body) VALUES (%s)", ["alone"])
    with writer.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")  # reading needs no lock
        assert cursor.fetchone() == (0,)
    fcntl.flock(lock_file, fcntl.LOCK_UN)
    with writer.cursor() as cursor:
        cursor.execute("INSERT INTO note (body) VALUES (%s)", ["alone"])
    assert is_free(lock_file)


def test_two_connections_take_turns(database):
    first, second = database(), database(timeout=0.2)
    begin(first)
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO note (body) VALUES (%s)", ["one"])
    with pytest.raises(OperationalError, match="database is locked"):
        begin(second)
    second.set_autocommit(True)
    end(first, commit=True)
    begin(second)
    with second.cursor() as cursor:
        cursor.execute("INSERT INTO note (body) VALUES (%s)", ["two"])
    end(second, commit=True)
