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
        # Inside a transaction PostgreSQL answers from the activity it saw first: clear it.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid]
        )
        (count,) = cursor.fetchone()
    return bool(count)


class _Collision:
    """The state of one ``collide`` run: who holds ``inside``, and what the second did."""

    def __init__(self, owner: Any, name: str, timeout: float) -> None:
        self.owner, self.name, self.timeout = owner, name, timeout
        self.original = getattr(owner, name)
        self.own_attribute = name in vars(owner)  # a method may come from a base class
        self.held, self.release = threading.Event(), threading.Event()
        self.overlapped, self.same_item = threading.Event(), threading.Event()
        self.held_call: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.first_pid: list[int] = []
        self.guard = threading.Lock()
        self.holder: list[threading.Thread] = []
        self.results: dict[int, Any] = {}
        self.errors: list[BaseException] = []

    def hold_the_first(self, *args: Any, **kwargs: Any) -> Any:
        me = threading.current_thread()
        with self.guard:
            if not self.holder:
                self.holder.append(me)
        if self.holder[0] is me and not self.held.is_set():
            self.held_call.append((args, kwargs))
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.first_pid.append(cursor.fetchone()[0])
            self.held.set()
            self.release.wait(self.timeout)
        elif self.holder[0] is not me and not self.release.is_set():
            self.overlapped.set()
            if self.held_call and self.held_call[0] == (args, kwargs):
                self.same_item.set()
        return self.original(*args, **kwargs)

    def patch(self) -> None:
        # A plain function, so that on a class it is called as a method (``self`` included).
        def hook(*args: Any, **kwargs: Any) -> Any:
            return self.hold_the_first(*args, **kwargs)

        setattr(self.owner, self.name, hook)

    def unpatch(self) -> None:
        if self.own_attribute:
            setattr(self.owner, self.name, self.original)
        else:
            delattr(self.owner, self.name)

    def wait_until_held(self, first: threading.Thread, deadline: float) -> None:
        while not self.held.wait(0.05):
            if not first.is_alive() or time.monotonic() > deadline:
                raise AssertionError(f"the first thread never reached {self.name}: {self.errors}")

    def outcome(self, second_thread: threading.Thread, second: str, deadline: float) -> str:
        """What the second thread did while the first was held."""
        while True:
            if self.overlapped.is_set() and second == "waits":
                return "both inside at once"
            if self.same_item.is_set():
                return "took the row the first holds"
            if _blocked_by(self.first_pid[0]):
                return "waited"
            if not second_thread.is_alive():
                return "finished"
            if time.monotonic() > deadline:
                return f"still running after {self.timeout} s without waiting for the lock"
            time.sleep(0.02)


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
    collision = _Collision(*inside, timeout)

    def run(index: int) -> None:
        try:
            collision.results[index] = action(prepare())
        except BaseException as exc:  # surfaced in the test's own thread
            collision.errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
    collision.patch()
    try:
        threads[0].start()
        deadline = time.monotonic() + timeout
        collision.wait_until_held(threads[0], deadline)
        threads[1].start()
        outcome = collision.outcome(threads[1], second, deadline)
    finally:
        collision.release.set()
        for thread in threads:
            thread.join(timeout)
        collision.unpatch()
    assert not any(thread.is_alive() for thread in threads), "a racing thread did not finish"
    if collision.errors:
        raise collision.errors[0]
    expected = "waited" if second == "waits" else "finished"
    assert outcome == expected, (
        f"no collision: while the first thread held the lock inside {collision.name}, the "
        f"second {outcome} (expected: {expected})"
    )
    return [collision.results[0], collision.results[1]]


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
