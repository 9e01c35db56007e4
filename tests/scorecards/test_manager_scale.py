"""The hiring manager's pipeline and comparison at a real company's size (issue 14): a page
of loops, filtered and sorted in the database, in a number of queries that does not grow
with the tenant; every loop reachable through the pages exactly once; the blind rule holds
in filters, sorts and pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hiring.models import Candidate, Loop, Requisition, User
from scorecards.manager.selectors import COMPARE_MAX, PAGE_SIZE
from scorecards.models import LoopSummary
from tests.factories import InterviewFactory, RequisitionFactory, UserFactory
from tests.scorecards.test_get_never_writes import queued  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

PIPELINE = reverse("scorecards:manager_pipeline")
LOOP_LINK = re.compile(r'href="/manager/loops/(\d+)/"')
STAGES = [value for value, _ in Loop.Status.choices]
RECOMMENDATIONS = ["no_hire", "hire", "strong_hire", "incomplete"]


def bulk_loops(requisition: Requisition, count: int, *, start: int = 0) -> list[Loop]:
    """``count`` loops with candidates and stored summaries, in three statements: the cheap
    fixture that lets a test hold thousands of loops."""
    now = timezone.now()
    candidates = Candidate.objects.bulk_create(
        Candidate(full_name=f"Bulk {requisition.pk} {n:05d}", email=f"b{requisition.pk}-{n}@x.test")
        for n in range(start, start + count)
    )
    loops = Loop.objects.bulk_create(
        Loop(
            candidate=candidate,
            requisition=requisition,
            status=STAGES[n % len(STAGES)],
            created_at=now - timedelta(minutes=n),
            updated_at=now,
        )
        for n, candidate in enumerate(candidates, start=start)
    )
    LoopSummary.objects.bulk_create(
        LoopSummary(
            loop=loop,
            computed_at=now,
            model_version="test",
            fingerprint="x",
            recommendation=RECOMMENDATIONS[n % 4],
            needs_debrief=n % 7 == 0,
            calibrated_score=1 + (n * 37 % 300) / 100,
            data={"scores": {"dimensions": {}}, "verdict": {}, "interviewers": {}},
        )
        for n, loop in enumerate(loops, start=start)
    )
    return loops


def loop_ids(html: str) -> list[int]:
    """The loops a page lists, in order, once each (a row may link its loop twice)."""
    return list(dict.fromkeys(int(pk) for pk in LOOP_LINK.findall(html)))


def queries_of(client, url: str, data: dict | None = None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.fixture
def manager(db) -> User:
    return UserFactory(username="scale-manager")


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"sort": "-calibrated"},
        {"sort": "recommendation", "stage": "in_progress"},
        {"recommendation": "hire", "needs_debrief": "1"},
        {"sort": "newest", "page": "3"},
    ],
)
def test_the_pipeline_costs_the_same_for_30_and_5000_loops(client, manager, query):
    # 30 loops: enough for every filter to match one (an empty page skips two queries).
    small = RequisitionFactory(hiring_manager=manager, title="Small opening")
    bulk_loops(small, 30)
    client.force_login(manager)
    client.get(PIPELINE)  # the session and content types, read once per process

    one, _ = queries_of(client, PIPELINE, query)
    big = RequisitionFactory(hiring_manager=manager, title="Big opening")
    bulk_loops(big, 5_000, start=30)
    many, html = queries_of(client, PIPELINE, query)

    assert one == many
    assert len(loop_ids(html)) <= PAGE_SIZE
    assert len(html) < 150_000  # a page, not the tenant


def test_every_loop_is_on_exactly_one_page_in_the_order_asked(client, manager):
    requisition = RequisitionFactory(hiring_manager=manager)
    loops = bulk_loops(requisition, 2 * PAGE_SIZE + 7)
    client.force_login(manager)

    seen: list[int] = []
    page = 1
    while True:
        html = client.get(PIPELINE, {"sort": "-calibrated", "page": page}).content.decode()
        seen += loop_ids(html)
        if 'rel="next"' not in html:
            break
        page += 1

    assert page == 3
    assert sorted(seen) == sorted(loop.pk for loop in loops)
    scores = {
        loop_id: float(score or 0)
        for loop_id, score in LoopSummary.objects.values_list("loop_id", "calibrated_score")
    }
    assert [scores[pk] for pk in seen] == sorted(scores.values(), reverse=True)


def test_stages_sort_in_pipeline_order_not_alphabetically(client, manager):
    requisition = RequisitionFactory(hiring_manager=manager)
    bulk_loops(requisition, len(STAGES))
    client.force_login(manager)

    html = client.get(PIPELINE).content.decode()

    status = dict(Loop.objects.values_list("pk", "status"))
    assert [status[pk] for pk in loop_ids(html)] == STAGES  # scheduling first, withdrawn last


def test_a_requisition_filter_shows_only_its_loops_and_keeps_the_other_filters(client, manager):
    first = RequisitionFactory(hiring_manager=manager, title="First opening")
    second = RequisitionFactory(hiring_manager=manager, title="Second opening")
    bulk_loops(first, 8)
    theirs = bulk_loops(second, 8, start=100)
    client.force_login(manager)

    html = client.get(PIPELINE, {"requisition": second.pk, "stage": "hire"}).content.decode()
    assert set(loop_ids(html)) == {loop.pk for loop in theirs}  # an unknown stage: no filter
    html = client.get(PIPELINE, {"requisition": second.pk, "recommendation": "hire"}).content
    listed = set(loop_ids(html.decode()))
    expected = set(
        LoopSummary.objects.filter(loop__in=theirs, recommendation="hire").values_list(
            "loop_id", flat=True
        )
    )
    assert listed == expected
    assert listed
    # the overview links to each requisition, keeping the recommendation filter
    assert f"requisition={first.pk}" in html.decode()
    assert "recommendation=hire&amp;requisition=" in html.decode() or (
        f"requisition={first.pk}&amp;recommendation=hire" in html.decode()
    )


def test_a_hidden_summary_does_not_leak_through_sort_filter_or_page(client, manager):
    requisition = RequisitionFactory(hiring_manager=manager)
    loops = bulk_loops(requisition, 12)
    hidden = loops[5]
    InterviewFactory(loop=hidden, interviewers=[manager])  # the manager owes a scorecard
    LoopSummary.objects.filter(loop=hidden).update(
        calibrated_score=4.0, recommendation="strong_hire", needs_debrief=True
    )
    client.force_login(manager)

    by_score = loop_ids(client.get(PIPELINE, {"sort": "-calibrated"}).content.decode())
    assert by_score[-1] == hidden.pk  # not first, though its score is the best
    # two hidden loops sort by name, whichever of them scores better
    other = loops[7]
    InterviewFactory(loop=other, interviewers=[manager])
    hidden_order = []
    for low, high in ((hidden, other), (other, hidden)):
        LoopSummary.objects.filter(loop=low).update(calibrated_score=1.0, recommendation="no_hire")
        LoopSummary.objects.filter(loop=high).update(calibrated_score=4.0, recommendation="hire")
        for sort in ("-calibrated", "recommendation"):
            listed = loop_ids(client.get(PIPELINE, {"sort": sort}).content.decode())
            hidden_order.append([pk for pk in listed if pk in (hidden.pk, other.pk)])
    assert all(order == hidden_order[0] for order in hidden_order)
    for filters in ({"recommendation": "strong_hire"}, {"needs_debrief": "1"}):
        assert hidden.pk not in loop_ids(client.get(PIPELINE, filters).content.decode())
    html = client.get(PIPELINE, {"sort": "candidate"}).content.decode()
    assert "Hidden until your scorecard is in" in html
    assert "4.00" not in html


def test_the_pipeline_never_reads_the_stored_summary_json(client, manager):
    requisition = RequisitionFactory(hiring_manager=manager)
    bulk_loops(requisition, 3)
    client.force_login(manager)

    with CaptureQueriesContext(connection) as captured:
        client.get(PIPELINE)

    summary_reads = [q["sql"] for q in captured if "scorecards_loopsummary" in q["sql"]]
    assert summary_reads
    assert not any('"scorecards_loopsummary"."data"' in sql for sql in summary_reads)


def test_an_empty_or_out_of_range_page_answers_the_last_page(client, manager):
    requisition = RequisitionFactory(hiring_manager=manager)
    loops = bulk_loops(requisition, PAGE_SIZE + 1)
    client.force_login(manager)

    for page in ("99", "0", "x", "-1", "9" * 30):
        response = client.get(PIPELINE, {"page": page, "sort": "newest"})
        assert response.status_code == 200
    oldest = Loop.objects.order_by("-created_at", "pk").last()
    assert oldest is not None
    assert len(loops) == PAGE_SIZE + 1
    html = client.get(PIPELINE, {"page": "99", "sort": "newest"}).content.decode()
    assert loop_ids(html) == [oldest.pk]


# --- Compare ---------------------------------------------------------------------------------


def compare_url(requisition: Requisition) -> str:
    return reverse("scorecards:manager_compare", args=[requisition.pk])


def columns(html: str) -> list[int]:
    """The loops shown side by side: the links in the comparison's header row."""
    if '<table class="compare"' not in html:
        return []
    head = html.split('<table class="compare"', 1)[1].split("</thead>", 1)[0]
    return loop_ids(head)


def choosable(html: str) -> set[int]:
    """The loops the compare page's ranking lists, to be ticked."""
    return {int(pk) for pk in re.findall(r'id="choose-(\d+)"', html)}


def test_compare_costs_the_same_for_1_and_1000_loops_and_shows_the_best(client, manager):
    requisition = RequisitionFactory(hiring_manager=manager)
    bulk_loops(requisition, 1)
    client.force_login(manager)
    client.get(compare_url(requisition))

    one, _ = queries_of(client, compare_url(requisition))
    bulk_loops(requisition, 1_000, start=1)
    many, html = queries_of(client, compare_url(requisition))

    assert one == many
    assert len(html) < 200_000
    shown = columns(html)
    assert len(shown) == COMPARE_MAX
    ranked = (
        LoopSummary.objects.filter(loop__requisition=requisition)
        .exclude(loop__status=Loop.Status.WITHDRAWN)
        .order_by("-calibrated_score", "loop__candidate__full_name", "loop_id")
        .values_list("loop_id", flat=True)
    )
    assert shown == list(ranked[:COMPARE_MAX])


def test_the_manager_chooses_whom_to_compare(client, manager):
    requisition = RequisitionFactory(hiring_manager=manager)
    loops = [loop for loop in bulk_loops(requisition, 20) if loop.status != "withdrawn"]
    elsewhere = bulk_loops(RequisitionFactory(), 1, start=500)[0]
    client.force_login(manager)
    wanted = [loops[3].pk, loops[11].pk, elsewhere.pk]

    html = client.get(compare_url(requisition), {"loop": wanted}).content.decode()

    assert sorted(columns(html)) == sorted(wanted[:2])  # another requisition's loop: nothing
    assert f'value="{loops[3].pk}" id="choose-{loops[3].pk}" checked' in html


def test_compare_leaves_out_anonymised_and_withdrawn_candidates(client, manager):
    requisition = RequisitionFactory(hiring_manager=manager)
    loops = bulk_loops(requisition, 12)
    gone = loops[0]
    Candidate.objects.filter(pk=gone.candidate_id).update(
        anonymised_at=timezone.now(), full_name="Anonymised candidate"
    )
    client.force_login(manager)

    html = client.get(compare_url(requisition), {"loop": [gone.pk]}).content.decode()

    assert "Anonymised candidate" not in html
    assert columns(html) == []
    assert "None of the candidates you chose can be compared here" in html
    withdrawn = [loop.pk for loop in loops if loop.status == "withdrawn"]
    assert withdrawn
    assert not set(withdrawn) & (set(loop_ids(html)) | choosable(html))
    assert choosable(html)  # the others are listed


def test_compare_queues_only_the_missing_summaries_it_shows(
    client,
    manager,
    django_capture_on_commit_callbacks,
    queued,  # noqa: F811
):
    requisition = RequisitionFactory(hiring_manager=manager)
    bulk_loops(requisition, 40)
    LoopSummary.objects.filter(loop__requisition=requisition).delete()
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        html = client.get(compare_url(requisition)).content.decode()

    assert "still being computed" in html
    shown = columns(html)
    assert len(shown) == COMPARE_MAX
    assert queued() == [sorted(shown)]  # the columns' summaries, not the requisition's 40


def test_the_manager_can_include_withdrawn_and_anonymised_candidates_when_asking(client, manager):
    requisition = RequisitionFactory(hiring_manager=manager)
    loops = bulk_loops(requisition, 60)  # more than one page of the ranking
    gone = loops[0]
    Candidate.objects.filter(pk=gone.candidate_id).update(
        anonymised_at=timezone.now(), full_name="Anonymised candidate"
    )
    withdrawn = [loop.pk for loop in loops if loop.status == "withdrawn"]
    assert withdrawn
    assert gone.pk not in withdrawn
    listed: set[int] = set()
    client.force_login(manager)

    for page in (1, 2):
        paged = {"include": "withdrawn", "page": page}
        html = client.get(compare_url(requisition), paged).content.decode()
        listed |= choosable(html)
        assert "Anonymised candidate" not in html
        assert 'name="include" value="withdrawn" checked' in html
    assert set(withdrawn) <= listed
    assert gone.pk not in listed
    assert "?include=withdrawn&amp;page=1#choose" in html  # paging keeps what was asked

    asked: dict[str, list[str] | list[int]] = {
        "include": ["withdrawn", "anonymised"],
        "loop": [gone.pk, withdrawn[0]],
    }
    html = client.get(compare_url(requisition), asked).content.decode()
    assert sorted(columns(html)) == sorted([gone.pk, withdrawn[0]])
    assert "Anonymised candidate" in html
    assert '<span class="tag">withdrawn</span>' in html

    # an unknown word asks for nothing more
    html = client.get(compare_url(requisition), {"include": "everyone"}).content.decode()
    assert not set(withdrawn) & choosable(html)
