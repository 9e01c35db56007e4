"""A small requisition built by hand for the pipeline analytics tests (issue 18): four
loops with known stage histories, interviews on a two-slot plan, two decisions and their
summaries, so every figure is known in advance (tests/scorecards/test_pipeline_report.py
works them out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from hiring.models import Interview, Loop, LoopStageChange, PlanSlot, Requisition, User
from scorecards.models import LoopSummary
from tests.factories import DecisionFactory, InterviewFactory, LoopFactory, UserFactory

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
    panelist: User  # on every panel of the requisition, staff of none


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


@pytest.fixture(name="pipeline")
def pipeline_fixture(world, hiring_manager) -> Pipeline:
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
    return Pipeline(requisition, a, b, slots, panelist)
