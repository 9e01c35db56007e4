"""Races with real threads: each runs with its own database connection, and a barrier
releases them together so they truly collide."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def at_once(
    action: Callable[[Any], Any],
    *,
    threads: int = 2,
    prepare: Callable[[], Any] = lambda: None,
    timeout: float = 60,
) -> list[Any]:
    """Run ``action(prepare())`` on ``threads`` threads at the same moment (``prepare`` runs
    first, in each thread, before the barrier: a signed-in client, say). Returns the results
    in the order they finished; re-raises the first error a thread hit."""
    barrier = threading.Barrier(threads)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            prepared = prepare()
            barrier.wait()
            result = action(prepared)
            with lock:
                results.append(result)
        except BaseException as exc:  # surfaced in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout)
    assert not any(worker.is_alive() for worker in workers), "a racing thread did not finish"
    if errors:
        raise errors[0]
    return results
