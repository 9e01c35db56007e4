"""Personas and shared fixtures. The personas follow DESIGN §6: a recruiter and a hiring
manager of one requisition, an interviewer and another interviewer on its loop, and an
outsider who has nothing to do with it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db.backends.base.creation import BaseDatabaseCreation
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations

from hiring.models import Interview, Loop, Requisition, User
from tests.celery_worker import WorkerProcess
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory, UserFactory

# make test runs these folders a second time on SQLite, the embedded default of `make run`
# (scripts/test.sh); a test elsewhere joins them with @pytest.mark.sqlite.
SQLITE_TOO = {"api", "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        if item.path.relative_to(tests).parts[0] in SQLITE_TOO:
            item.add_marker(pytest.mark.sqlite)
    # The tests that read the demo run one after another, so they share one seeding (see
    # `demo`). pytest-django has already put the database tests first; they all are.
    readers = [item for item in items if "demo" in getattr(item, "fixturenames", ())]
    if readers:
        first = items.index(readers[0])
        others = [item for item in items if item not in set(readers)]
        items[:] = others[:first] + readers + others[first:]


# --- The demo, seeded once for the tests that read it ------------------------------------------


@dataclass
class Demo:
    """The data set of `make run` (scorecards.demo), seeded for a test. ``seeded``: what
    ``seed_demo()`` answered, True when it made the data set."""

    seeded: bool


class SharedDemo:
    """The demo seeded once, in a transaction left open while the tests that read it run one
    after another (each in a savepoint of its own, rolled back: a test's writes never reach
    the next), then rolled back before any other test runs: seeding takes seconds, and
    several tests only read what it made."""

    def __init__(self, blocker: Any) -> None:
        self.blocker = blocker
        self.atomic: Any = None
        self.seeded = False

    @property
    def open(self) -> bool:
        return self.atomic is not None

    def start(self) -> None:
        from django.db import transaction

        from scorecards.demo import seed_demo

        self.blocker.unblock()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        try:
            self.seeded = seed_demo()
        except BaseException:
            self.end()  # no test may run inside what a failed seeding left
            raise

    def end(self) -> None:
        from django.db import transaction

        if self.atomic is None:
            return
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        self.atomic = None
        self.blocker.restore()


SHARED_DEMO = pytest.StashKey[SharedDemo]()


@pytest.fixture(scope="session")
def shared_demo(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any
) -> Iterator[SharedDemo]:
    shared = SharedDemo(django_db_blocker)
    shared.start()
    request.config.stash[SHARED_DEMO] = shared
    yield shared
    shared.end()


@pytest.fixture
def demo(shared_demo: SharedDemo, db: None) -> Demo:
    """The demo, for a test that reads it: the shared seeding while it is open, else (the
    tests were run in another order) one of the test's own."""
    if shared_demo.open:
        return Demo(seeded=shared_demo.seeded)
    from scorecards.demo import seed_demo

    return Demo(seeded=seed_demo())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Roll the shared demo back once the next test does not read it."""
    result = yield
    shared = item.config.stash.get(SHARED_DEMO, None)
    if shared is not None and "demo" not in getattr(nextitem, "fixturenames", ()):
        shared.end()
    return result


# --- Resetting the database after a transactional test, quickly ------------------------------

_TRUNCATE = PostgresOperations.sql_flush


def _flush_by_delete(
    self: Any, style: Any, tables: list[str], *, reset_sequences: bool = False, **kwargs: Any
) -> list[str]:
    """PostgreSQL's flush empties the tables with one TRUNCATE, which makes new files for
    every table and index: about a third of a second for some seventy nearly empty tables,
    after every transactional test. DELETE with the (deferrable) foreign keys checked at
    commit empties them the same, in a few milliseconds. Sequences are left alone, as by
    the TRUNCATE of a flush that does not reset them."""
    if reset_sequences or kwargs.get("allow_cascade"):
        return _TRUNCATE(self, style, tables, reset_sequences=reset_sequences, **kwargs)
    return ["SET CONSTRAINTS ALL DEFERRED"] + [
        f"DELETE FROM {self.quote_name(table)}" for table in tables
    ]


def _deserialize_in_bulk(self: Any, data: str) -> None:
    """What a serialized rollback restores (the rubric, groups, permissions: some three
    hundred rows) with one upsert per table rather than an UPDATE and an INSERT per row, as
    Django's own deserialize_db_from_string does, in a transaction checked the same way."""
    from collections import defaultdict

    from django.core import serializers
    from django.db import models, transaction

    alias = self.connection.alias
    with transaction.atomic(using=alias):
        with self.connection.constraint_checks_disabled():
            rows: dict[type[models.Model], list[models.Model]] = defaultdict(list)
            related: list[Any] = []
            for obj in serializers.deserialize("json", data, using=alias):
                model = type(obj.object)
                if model._meta.parents:  # bulk_create cannot save inherited models
                    obj.save()
                    continue
                rows[model].append(obj.object)
                if obj.m2m_data:
                    related.append(obj)
            for model, objects in rows.items():
                # An upsert, as save() is: the first such test finds the rows migrated.
                pk = model._meta.pk
                assert pk is not None
                fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
                model._base_manager.using(alias).bulk_create(
                    objects,
                    update_conflicts=bool(fields),
                    ignore_conflicts=not fields,
                    unique_fields=[pk.name] if fields else None,
                    update_fields=fields or None,
                )
            for obj in related:
                for name, values in (obj.m2m_data or {}).items():
                    getattr(obj.object, name).set(values)
        table_names = {model._meta.db_table for model in rows}
        self.connection.check_constraints(table_names=table_names)


@pytest.fixture(scope="session", autouse=True)
def quick_database_reset() -> Iterator[None]:
    """Transactional tests (live servers, workers) end with the database emptied and, for a
    serialized rollback, its migrated rows put back: the same, done faster (see above)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PostgresOperations, "sql_flush", _flush_by_delete)
        patch.setattr(BaseDatabaseCreation, "deserialize_db_from_string", _deserialize_in_bulk)
        yield


@pytest.fixture
def recruiter(db: None) -> User:
    return UserFactory(username="rita", is_staff=True)


@pytest.fixture
def hiring_manager(db: None) -> User:
    return UserFactory(username="hugo")


@pytest.fixture
def interviewer(db: None) -> User:
    return UserFactory(username="iris", time_zone="Europe/London")


@pytest.fixture
def other_interviewer(db: None) -> User:
    return UserFactory(username="jonas", time_zone="Europe/Berlin")


@pytest.fixture
def outsider(db: None) -> User:
    return UserFactory(username="olga")


@dataclass
class World:
    requisition: Requisition
    loop: Loop
    interview: Interview
    other_interview: Interview


@pytest.fixture
def world(
    recruiter: User, hiring_manager: User, interviewer: User, other_interviewer: User
) -> World:
    """One requisition with one loop and two interviews, one per interviewer."""
    from django.contrib.auth.models import Group

    from hiring.roles import RECRUITERS_GROUP

    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    requisition = RequisitionFactory(hiring_manager=hiring_manager, recruiters=[recruiter])
    loop = LoopFactory(requisition=requisition)
    interview = InterviewFactory(
        loop=loop, interviewers=[interviewer], focus=["product-strategy", "communication"]
    )
    other = InterviewFactory(
        loop=loop,
        title="Leadership scenario",
        interviewers=[other_interviewer],
        focus=["people-leadership", "values-judgment"],
    )
    return World(requisition, loop, interview, other)


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the Celery app at a port where no broker listens, then restore it. The app
    caches connection and producer pools, so those are dropped on both sides."""
    from config.celery_app import app

    def drop_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    drop_pools()
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    yield
    monkeypatch.undo()
    drop_pools()


@pytest.fixture
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@pytest.fixture
def celery_workers(
    transactional_db: None,
    django_db_serialized_rollback: None,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> Iterator[list[WorkerProcess]]:
    """Start real worker processes with ``celery_workers.start()``-style use:

        worker = start_worker(celery_workers, tmp_path)

    Every worker still running at the end of the test is killed, pool and all: its warm
    shutdown took two seconds, and nothing it would have put back is wanted (the next test
    empties the broker and the database). A test that needs a worker's shutdown stops it
    itself. Tests using it commit their data (a transactional database, rolled back by
    serialisation so the rubric survives) so the worker can see it.
    """
    redis_client.flushdb()  # no stale messages from earlier tests
    workers: list[WorkerProcess] = []
    yield workers
    for worker in workers:
        worker.kill()


@pytest.fixture
def start_worker(celery_workers: list[WorkerProcess], tmp_path: Path):
    def start(**kwargs: object) -> WorkerProcess:
        worker = WorkerProcess(tmp_path, **kwargs).start()
        celery_workers.append(worker)
        return worker

    return start
