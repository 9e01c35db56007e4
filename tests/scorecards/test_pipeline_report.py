"""Issue 18, pipeline analytics per requisition: the report's figures on a small requisition
built by hand (known dates, so known medians), who may read it, the blind rule, and a
constant number of queries however many loops there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from hiring.models import Decision, Interview, Loop, LoopStageChange, PlanSlot, Requisition, User
from scorecards.analytics.reports import pipeline as report
from scorecards.models import LoopSummary
from tests.factories import (
    DecisionFactory,
    InterviewFactory,
    LoopFactory,
    RequisitionFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

S = Loop.Status
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)  # a Wednesday


def nov(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@dataclass
class Pipeline:
    requisition: Requisition
    hired: Loop  # A
    declined: Loop  # B
    slots: list[PlanSlot]


def stage_history(loop: Loop, *changes: tuple[datetime, str]) -> None:
    before = ""
    for at, to in changes:
        LoopStageChange.objects.create(loop=loop, from_status=before, to_status=to, at=at)
        before = to
    Loop.objects.filter(pk=loop.pk).update(status=before)


def summary(loop: Loop, recommendation: str, *codes: str) -> None:
    LoopSummary.objects.create(
        loop=loop,
        computed_at=NOW,
        model_version="test",
        fingerprint="x",
        recommendation=recommendation,
        data={"verdict": {"reasons": [{"code": code} for code in codes]}},
    )


def interview(loop: Loop, slot: PlanSlot, starts_at: datetime, panel: list[User]) -> Interview:
    return InterviewFactory(
        loop=loop,
        plan_slot=slot,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        interviewers=panel,
    )


def add_loops(
    requisition: Requisition, slots: list[PlanSlot], hiring_manager: User, count: int
) -> None:
    """``count`` more decided loops like A: for the query-count test."""
    for _ in range(count):
        loop = LoopFactory(requisition=requisition)
        stage_history(loop, (nov(2), S.SCHEDULING), (nov(4), S.IN_PROGRESS), (nov(9), S.DECIDED))
        panelist: User = UserFactory()
        interview(loop, slots[0], nov(4, 10), [panelist])
        DecisionFactory(loop=loop, decided_by=hiring_manager, decided_at=nov(9, 10))
        summary(loop, "no_hire")


@pytest.fixture
def pipeline(world, hiring_manager) -> Pipeline:
    requisition = world.requisition
    world.interview.delete()
    world.other_interview.delete()
    slots = [
        PlanSlot.objects.create(
            requisition=requisition, slug=slug, title=title, minutes=45, position=i
        )
        for i, (slug, title) in enumerate([("screen", "Screen"), ("case", "Case study")], 1)
    ]
    panelist: User = UserFactory()
    panel = [panelist]
    # A: hired after 5 days from its first interview; recommended hire
    a = world.loop
    stage_history(
        a,
        (nov(2), S.SCHEDULING),
        (nov(4), S.IN_PROGRESS),
        (nov(6), S.READY_FOR_DEBRIEF),
        (nov(9), S.DECIDED),
    )
    interview(a, slots[0], nov(4, 10), panel)
    interview(a, slots[1], nov(5, 10), panel)
    DecisionFactory(loop=a, decided_by=hiring_manager, decided_at=nov(9, 10))
    summary(a, "strong_hire")
    # B: not hired 7 days after its first interview, although recommended hire
    b = LoopFactory(requisition=requisition)
    stage_history(b, (nov(3), S.SCHEDULING), (nov(5), S.IN_PROGRESS), (nov(12), S.DECIDED))
    interview(b, slots[0], nov(5, 10), panel)
    DecisionFactory(loop=b, decided_by=hiring_manager, decided_at=nov(12, 10), outcome="no_hire")
    summary(b, "hire")
    # C: in progress; its case study is still to come
    c = LoopFactory(requisition=requisition)
    stage_history(c, (nov(10), S.SCHEDULING), (nov(11), S.IN_PROGRESS))
    interview(c, slots[0], nov(11, 10), panel)
    interview(c, slots[1], nov(30, 10), panel)
    # D: withdrew before any interview
    d = LoopFactory(requisition=requisition)
    stage_history(d, (nov(16), S.SCHEDULING), (nov(18), S.WITHDRAWN))
    return Pipeline(requisition, a, b, slots)


def test_the_figures_of_a_small_requisition(pipeline, recruiter):
    figures = report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW)

    assert figures.loops == 4
    assert figures.stage_now == {
        "scheduling": 0,
        "in_progress": 1,
        "awaiting_feedback": 0,
        "ready_for_debrief": 0,
        "decided": 2,
        "withdrawn": 1,
    }
    # loops by stage at the end of each week (the current week: now)
    weeks = {str(w.start): {k: v for k, v in w.counts.items() if v} for w in figures.weeks}
    assert weeks == {
        "2026-11-02": {"ready_for_debrief": 1, "in_progress": 1},
        "2026-11-09": {"decided": 2, "in_progress": 1},
        "2026-11-16": {"decided": 2, "in_progress": 1, "withdrawn": 1},
        "2026-11-23": {"decided": 2, "in_progress": 1, "withdrawn": 1},
    }
    # finished stays, in days: scheduling 2, 2, 1, 2; in progress 2 and 7 (C's goes on)
    stages = {t.stage: t.days for t in figures.time_in_stage}
    assert (stages["scheduling"].n, stages["scheduling"].median) == (4, 2.0)
    assert (stages["in_progress"].n, stages["in_progress"].median) == (2, 4.5)
    assert stages["in_progress"].p90 == pytest.approx(6.5)
    assert (stages["ready_for_debrief"].n, stages["ready_for_debrief"].median) == (1, 3.0)
    assert stages["awaiting_feedback"].n == 0
    # first interview to decision: 5 and 7 days
    assert figures.to_decision.n == 2
    assert figures.to_decision.median == pytest.approx(6.0)
    assert figures.to_decision.p90 == pytest.approx(6.8)
    # the screen: A, B and C had it; only A went on to the case study (C's is to come)
    assert figures.plan_source == "requisition"
    assert [
        (s.title, s.passage.reached, s.passage.went_on, s.passage.hired) for s in figures.slots
    ] == [
        ("Screen", 3, 1, 1),
        ("Case study", 1, None, 1),
    ]
    # recommended hire twice: hired once, turned down once (against the recommendation)
    assert figures.agreement.count("hire", "hire") == 1
    assert figures.agreement.declined_against == 1
    assert figures.agreement.hired_against == 0
    assert figures.agreement.against_share == pytest.approx(0.5)
    assert (figures.decided_hidden, figures.decided_without_summary) == (0, 0)


def test_a_split_panel_counts_as_mixed(pipeline, recruiter):
    LoopSummary.objects.filter(loop=pipeline.declined).update(
        data={"verdict": {"reasons": [{"code": "split_recommendations"}]}}
    )
    figures = report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW)
    assert figures.agreement.count("mixed", "no_hire") == 1
    assert figures.agreement.against == 0


def test_the_blind_rule_leaves_out_a_decision_the_reader_may_not_read(
    pipeline, hiring_manager, recruiter
):
    # the hiring manager sits on B's panel and still owes the scorecard
    interview(pipeline.declined, pipeline.slots[1], nov(6, 10), [hiring_manager])
    figures = report.pipeline_report(user=hiring_manager, requisition=pipeline.requisition, now=NOW)
    assert figures.decided_hidden == 1
    assert figures.agreement.total == 1
    assert figures.agreement.declined_against == 0
    assert figures.to_decision.n == 1
    # the recruiter owes nothing and sees both
    assert (
        report.pipeline_report(
            user=recruiter, requisition=pipeline.requisition, now=NOW
        ).agreement.total
        == 2
    )


def test_only_the_requisition_staff_and_superusers_may_read_it(
    pipeline, recruiter, hiring_manager, interviewer, outsider
):
    pk = pipeline.requisition.pk
    assert report.requisition_get(user=recruiter, pk=pk) == pipeline.requisition
    assert report.requisition_get(user=hiring_manager, pk=pk) == pipeline.requisition
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert report.requisition_get(user=admin, pk=pk) == pipeline.requisition
    # an interviewer on the panel, another requisition's recruiter, anyone else: 404
    on_panel = pipeline.hired.interviews.first().interviewers.get()
    other_recruiter = UserFactory(is_staff=True)
    RequisitionFactory(recruiters=[other_recruiter])
    for reader in (on_panel, interviewer, other_recruiter, outsider):
        with pytest.raises(Http404):
            report.requisition_get(user=reader, pk=pk)
        assert pipeline.requisition not in report.requisitions_for(reader)
        assert pipeline.requisition.pk not in [
            h.requisition.pk for h in report.requisitions_overview(user=reader)
        ]


def test_the_overview_has_each_requisitions_headline(pipeline, recruiter):
    [headline] = report.requisitions_overview(user=recruiter)
    assert (headline.loops, headline.open, headline.hired) == (4, 1, 1)
    assert (headline.to_decision.n, headline.to_decision.median) == (2, pytest.approx(6.0))


def test_queries_stay_constant_as_loops_grow(pipeline, recruiter, hiring_manager):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW)
            report.requisitions_overview(user=recruiter)
        return len(queries)

    add_loops(pipeline.requisition, pipeline.slots, hiring_manager, 1)
    few = count()
    add_loops(pipeline.requisition, pipeline.slots, hiring_manager, 12)
    assert count() == few
    assert (
        report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW).loops
        == 17
    )
    assert Decision.objects.filter(loop__requisition=pipeline.requisition).count() == 15
