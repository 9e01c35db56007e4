"""Races with real threads, each with its own database connection.

``collide`` forces the collision and proves it happened: the first thread is held inside
the critical section (at a function the code calls while it holds its lock) until the second
is seen, in PostgreSQL, waiting for a lock the first holds; it fails if the second gets
inside, or finishes, while the first is still there. ``claims_meet`` is for code that holds
no lock but claims rows with a conditional UPDATE: every thread has selected its candidates
before any of them claims one, and each claim is recorded with its outcome. ``at_once`` only
starts threads together (a barrier), for races with nothing to hold them at.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

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


def _blocked_by(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid]
        )
        (count,) = cursor.fetchone()
    return bool(count)


def collide(
    action: Callable[[Any], Any],
    *,
    inside: tuple[Any, str],
    second: Literal["waits", "skips"] = "waits",
    prepare: Callable[[], Any] = lambda: None,
    timeout: float = 30,
) -> list[Any]:
    """Run ``action(prepare())`` on two threads that provably collide; return their results
    (the first thread's first). ``inside`` is ``(module or class, name)`` of a function the
    code calls while it holds its lock: the first thread to call it is held there.

    ``second="waits"``: the second thread must be seen waiting for the first's lock (and must
    not reach ``inside`` meanwhile). ``second="skips"`` (``SKIP LOCKED``): it must finish
    while the first is held, without waiting for it and without calling ``inside`` with the
    first's arguments (the row the first holds).

    Lock waits are watched in PostgreSQL (``pg_blocking_pids``); on SQLite the two threads
    only start together, as with ``at_once``."""
    if connection.vendor != "postgresql":
        return at_once(action, prepare=prepare, timeout=timeout)
    owner, name = inside
    original = getattr(owner, name)
    own_attribute = name in vars(owner)  # a method may come from a base class
    held, release, overlapped = threading.Event(), threading.Event(), threading.Event()
    same_item = threading.Event()
    held_call: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    first_pid: list[int] = []
    guard = threading.Lock()
    holder: list[threading.Thread] = []

    def hold_the_first(*args: Any, **kwargs: Any) -> Any:
        me = threading.current_thread()
        with guard:
            if not holder:
                holder.append(me)
        if holder[0] is me and not held.is_set():
            held_call.append((args, kwargs))
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                first_pid.append(cursor.fetchone()[0])
            held.set()
            release.wait(timeout)
        elif holder[0] is not me and not release.is_set():
            overlapped.set()
            if held_call and held_call[0] == (args, kwargs):
                same_item.set()
        return original(*args, **kwargs)

    results: dict[int, Any] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = action(prepare())
        except BaseException as exc:  # surfaced in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
    setattr(owner, name, hold_the_first)
    try:
        threads[0].start()
        deadline = time.monotonic() + timeout
        while not held.wait(0.05):
            if not threads[0].is_alive() or time.monotonic() > deadline:
                raise AssertionError(f"the first thread never reached {name}: {errors}")
        threads[1].start()
        while True:
            if overlapped.is_set() and second == "waits":
                outcome = "both inside at once"
            elif same_item.is_set():
                outcome = "took the row the first holds"
            elif _blocked_by(first_pid[0]):
                outcome = "waited"
            elif not threads[1].is_alive():
                outcome = "finished"
            elif time.monotonic() > deadline:
                outcome = f"still running after {timeout} s without waiting for the lock"
            else:
                time.sleep(0.02)
                continue
            break
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout)
        if own_attribute:
            setattr(owner, name, original)
        else:
            delattr(owner, name)
    assert not any(thread.is_alive() for thread in threads), "a racing thread did not finish"
    if errors:
        raise errors[0]
    expected = "waited" if second == "waits" else "finished"
    assert outcome == expected, (
        f"no collision: while the first thread held the lock inside {name}, the second "
        f"{outcome} (expected: {expected})"
    )
    return [results[0], results[1]]


@dataclass
class Claims:
    """What each thread tried to claim, in order (the row's key), and whether it won."""

    by_thread: list[list[tuple[Any, bool]]] = field(default_factory=list)

    def tried(self, thread: int) -> list[Any]:
        return [key for key, _ in self.by_thread[thread]]

    def winners(self) -> dict[Any, int]:
        """How many threads won each row any of them tried."""
        counts: dict[Any, int] = {}
        for attempts in self.by_thread:
            for key, won in attempts:
                counts[key] = counts.get(key, 0) + won
        return counts


@contextmanager
def claims_meet(
    inside: tuple[Any, str],
    *,
    threads: int = 2,
    key: Callable[..., Any] = lambda row, *_, **__: row.pk,
    timeout: float = 30,
) -> Iterator[Claims]:
    """Within the block, ``inside`` (``(module or class, name)``: the function that claims
    one selected row and returns whether it won) makes each thread's first call wait until
    all ``threads`` have made theirs: every thread has then run its SELECT of candidates
    before any claim is made, so they race for the same rows. Each call is recorded in
    the returned ``Claims`` as ``(key(*args), won)`` under the thread's arrival order."""
    owner, name = inside
    original = getattr(owner, name)
    own_attribute = name in vars(owner)
    everyone_selected = threading.Barrier(threads, timeout=timeout)
    claims = Claims()
    index_of: dict[int, int] = {}
    guard = threading.Lock()

    def meet_then_claim(*args: Any, **kwargs: Any) -> Any:
        me = threading.get_ident()
        with guard:
            first = me not in index_of
            if first:
                index_of[me] = len(claims.by_thread)
                claims.by_thread.append([])
        if first:
            try:
                everyone_selected.wait()
            except threading.BrokenBarrierError:
                raise AssertionError(
                    f"only {len(index_of)} of {threads} threads reached {name} within "
                    f"{timeout} s: they did not race for the same rows"
                ) from None
        won = original(*args, **kwargs)
        claims.by_thread[index_of[me]].append((key(*args, **kwargs), bool(won)))
        return won

    setattr(owner, name, meet_then_claim)
    try:
        yield claims
    finally:
        if own_attribute:
            setattr(owner, name, original)
        else:
            delattr(owner, name)
