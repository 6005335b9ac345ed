"""Races on purpose: run the same work in several threads released at the same moment."""

import threading

from django.db import connections


def together(work, count: int) -> list:
    """Run `work()` in `count` threads released at once; their answers (or errors). Each thread
    closes its database connections when done (a transactional test's threads use their own)."""
    barrier = threading.Barrier(count)
    answers: list = []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait(timeout=30)
            answer = work()
        except BaseException as exc:  # noqa: BLE001 - every failure is a finding here
            answer = exc
        finally:
            connections.close_all()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return answers
