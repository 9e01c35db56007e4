"""Reading a summary never writes (issue 14, item 2). The summary page, the compare page and
the API summary show the stored summary with its freshness; a missing or stale one is queued
for a worker (one message on the real broker, after the request's commit), never computed
inside the GET. The importer queues the summaries of the loops it wrote."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from hiring.delivery import outbox
from hiring.models import Loop
from scorecards.calibration import summaries
from scorecards.importer import import_scorecards
from scorecards.models import LoopSummary
from scorecards.tasks import summarise_loops
from tests import broker
from tests.factories import LoopFactory
from tests.scorecards.test_import_export import HEADER
from tests.scorecards.test_summaries import submit
from tests.tokens import api_client

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def queued(redis_client: redis.Redis) -> Iterator[Callable[[], list[list[int]]]]:
    """The loop ids of every summary recompute sent to the broker since the test began,
    read from the real Redis queue the workers consume."""
    redis_client.flushdb()

    def read() -> list[list[int]]:
        found: list[list[int]] = []
        for message in broker.messages(redis_client):
            if message["headers"]["task"] != summaries.SUMMARISE_TASK:
                continue
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            found.append(args[0])
        return found

    yield read
    redis_client.flushdb()


def writes_during(client: Any, url: str, capture: Any) -> tuple[Any, list[str]]:
    """GET ``url`` and return the response with every write statement it ran, the
    after-commit callbacks (the queueing) included."""
    with capture(execute=True), CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith(WRITES)]
    return response, writes


def api_as(user: Any) -> APIClient:
    # Before any capture: a setup write. A token's use is recorded at most once a minute
    # (signin.tokens), so one used just now shows the capture only what the summary does.
    return api_client(user, used=True)


def summary_url(loop: Loop) -> str:
    return reverse("scorecards:manager_loop", args=[loop.pk])


def api_url(loop: Loop) -> str:
    return f"/api/v1/loops/{loop.pk}/summary/"


def compare_url(loop: Loop) -> str:
    return reverse("scorecards:manager_compare", args=[loop.requisition_id])


# --- Missing: shown as being computed, queued -------------------------------------------------


def test_a_missing_summary_page_is_pending_queued_and_writes_nothing(
    client, world, hiring_manager, interviewer, django_capture_on_commit_callbacks, queued
):
    submit(world.interview, interviewer)
    client.force_login(hiring_manager)

    page, writes = writes_during(
        client, summary_url(world.loop), django_capture_on_commit_callbacks
    )

    assert page.status_code == 200
    assert writes == []
    assert not LoopSummary.objects.filter(loop=world.loop).exists()
    assert b"The summary is being computed" in page.content
    assert b'name="rationale"' in page.content  # the decision stays at hand
    assert queued() == [[world.loop.pk]]


def test_a_missing_api_summary_is_202_pending_queued_and_writes_nothing(
    world, hiring_manager, interviewer, django_capture_on_commit_callbacks, queued
):
    submit(world.interview, interviewer)
    client = api_as(hiring_manager)

    response, writes = writes_during(
        client, api_url(world.loop), django_capture_on_commit_callbacks
    )

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert response.json()["loop"] == world.loop.pk
    assert response["Retry-After"]
    assert writes == []
    assert not LoopSummary.objects.filter(loop=world.loop).exists()
    assert queued() == [[world.loop.pk]]


def test_compare_lists_loops_without_a_summary_as_pending_unranked_and_writes_nothing(
    client, world, hiring_manager, interviewer, other_interviewer,
    django_capture_on_commit_callbacks, queued,
):  # fmt: skip
    # given a loop with a stored summary and two whose summaries were never computed
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=4)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    waiting = sorted(
        (LoopFactory(requisition=world.requisition) for _ in range(2)),
        key=lambda loop: loop.candidate.full_name,
    )
    client.force_login(hiring_manager)

    page, writes = writes_during(
        client, compare_url(world.loop), django_capture_on_commit_callbacks
    )

    assert page.status_code == 200
    assert writes == []
    assert LoopSummary.objects.count() == 1
    html = page.content.decode()
    assert "2 summaries are still being computed" in html
    # the summarised loop is ranked first; the pending ones follow, by name
    names = [world.loop.candidate.full_name] + [loop.candidate.full_name for loop in waiting]
    positions = [html.index(name) for name in names]
    assert positions == sorted(positions)
    pending_cells = re.findall(
        r'<td class="pending">(?:<span class="who">[^<]*</span>)?Being computed', html
    )
    assert len(pending_cells) == 5 * 2  # five rows, two loops
    assert queued() == [sorted(loop.pk for loop in waiting)]  # one message for both


# --- Stale: the stored one, marked out of date, queued ---------------------------------------


@pytest.fixture
def stale(world, interviewer, other_interviewer) -> LoopSummary:
    """A stored summary made stale by a scorecard submitted after it was computed."""
    submit(world.interview, interviewer, rating=3)
    summary = summaries.loop_summary_compute(loop_id=world.loop.pk)
    submit(world.other_interview, other_interviewer, rating=4)
    assert summaries.loop_summary_is_stale(loop_id=world.loop.pk)
    return summary


def test_a_stale_summary_page_shows_the_stored_one_marked_out_of_date(
    client, world, hiring_manager, stale, django_capture_on_commit_callbacks, queued
):
    client.force_login(hiring_manager)

    page, writes = writes_during(
        client, summary_url(world.loop), django_capture_on_commit_callbacks
    )

    assert page.status_code == 200
    assert writes == []
    assert b"Partial: 1 of 2 scorecards" in page.content  # what was stored, not recomputed
    assert b"Out of date" in page.content
    assert LoopSummary.objects.get(loop=world.loop).fingerprint == stale.fingerprint
    assert queued() == [[world.loop.pk]]


def test_a_stale_api_summary_is_the_stored_one_with_stale_true(
    world, hiring_manager, stale, django_capture_on_commit_callbacks, queued
):
    client = api_as(hiring_manager)

    response, writes = writes_during(
        client, api_url(world.loop), django_capture_on_commit_callbacks
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["scorecards_in"], body["stale"]) == (1, True)
    assert writes == []
    assert LoopSummary.objects.get(loop=world.loop).fingerprint == stale.fingerprint
    assert queued() == [[world.loop.pk]]


def test_the_queued_task_brings_the_summary_up_to_date(
    client, world, hiring_manager, stale, django_capture_on_commit_callbacks, queued
):
    client.force_login(hiring_manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(summary_url(world.loop))
    [loop_ids] = queued()

    assert summarise_loops(loop_ids) == 1  # what the worker runs

    page, writes = writes_during(
        client, summary_url(world.loop), django_capture_on_commit_callbacks
    )
    assert writes == []
    assert b"Partial:" not in page.content
    assert b"Out of date" not in page.content
    api = client.get(api_url(world.loop)).json()
    assert (api["scorecards_in"], api["stale"]) == (2, False)
    assert queued() == [loop_ids]  # a fresh summary queues nothing more


def test_a_fresh_summary_queues_nothing(
    client, world, hiring_manager, interviewer, django_capture_on_commit_callbacks, queued
):
    submit(world.interview, interviewer)
    outbox.dispatch()  # the submit's event computes the summary
    client.force_login(hiring_manager)

    page, writes = writes_during(
        client, summary_url(world.loop), django_capture_on_commit_callbacks
    )

    assert page.status_code == 200
    assert writes == []
    assert b"Out of date" not in page.content
    assert queued() == []


# --- Import -----------------------------------------------------------------------------------


def test_the_importer_queues_the_summaries_of_the_loops_it_wrote(
    db, django_capture_on_commit_callbacks, queued
):
    csv_text = HEADER + "".join(
        f"{who}@example.com,Candidate {who},VP Product 2025,vp-of-product,"
        f"int@example.com,2025-01-1{n},communication,3,yes\n"
        for n, who in enumerate(["ada", "bo"])
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = import_scorecards(io.StringIO(csv_text))

    assert result.scorecards_created == 2
    imported = sorted(Loop.objects.values_list("pk", flat=True))
    assert len(imported) == 2
    assert queued() == [imported]
    assert not LoopSummary.objects.exists()  # a worker computes them, not the import
