"""/healthz is liveness (the process answers, whatever its dependencies); /readyz is
readiness: the database, the broker, the workers' and beat's heartbeats, the outbox lag."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery_app import app
from hiring import heartbeats
from hiring.models import OutboxEvent
from hiring.models.delivery import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def alive():
    """A worker and beat that reported just now."""
    for name in heartbeats.worker_names("w1@host", heartbeats.configured_queues()):
        heartbeats.record(name)
    heartbeats.record(heartbeats.BEAT)


def test_healthz_answers_whatever_the_dependencies(client, broker_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_everything_reports(client, alive):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert body["problems"] == []
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "worker": True,
        "queues": True,
        "beat": True,
        "outbox": True,
    }


def test_readyz_is_503_naming_a_broker_that_is_down(client, alive, broker_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert [p.split(":")[0] for p in response.json()["problems"]] == ["broker"]


def test_readyz_is_503_when_no_worker_ever_reported(client):
    heartbeats.record(heartbeats.BEAT)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["worker: no worker has ever reported (is one running?)"]


def test_readyz_is_503_when_outbox_work_waits_too_long(client, alive, settings):
    settings.READINESS_OUTBOX_LAG_SECONDS = 300
    OutboxEvent.objects.create(
        topic="test.waiting", available_at=timezone.now() - timedelta(minutes=10)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert outbox["ok"] is False
    assert outbox["backlog"] == 1
    assert 600 <= outbox["lag_seconds"] < 660


def test_beats_scheduler_writes_its_heartbeat_as_it_ticks(tmp_path):
    scheduler = heartbeats.HeartbeatScheduler(
        app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True
    )
    scheduler.setup_schedule()
    try:
        assert scheduler.tick() <= heartbeats.HEARTBEAT_SECONDS
    finally:
        scheduler.close()
    seen = Heartbeat.objects.get(name=heartbeats.BEAT).seen_at
    assert timezone.now() - seen < timedelta(seconds=30)


def test_readyz_names_a_queue_whose_workers_all_went_quiet(client, settings):
    """The scale-out profile runs a worker per queue: the e-mail workers can be down while
    the others report, and e-mail then waits in the broker."""
    limit = settings.READINESS_HEARTBEAT_SECONDS
    for name in heartbeats.worker_names("default@host", ["celery", "webhooks", "calibration"]):
        heartbeats.record(name)
    for name in heartbeats.worker_names("mail@host", ["email"]):
        heartbeats.record(name)
    heartbeats.record(heartbeats.BEAT)
    assert client.get("/readyz").status_code == 200

    Heartbeat.objects.filter(name__endswith=" mail@host").update(
        seen_at=timezone.now() - timedelta(seconds=limit + 30)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["problems"] == [
        f"queues: no worker consuming email has reported in the last {limit}s: tasks routed "
        "there wait in the broker"
    ]
    assert body["checks"]["queues"]["last_seen_seconds_ago"]["email"] >= limit + 30
    assert body["checks"]["worker"]["ok"]  # the other workers still report
