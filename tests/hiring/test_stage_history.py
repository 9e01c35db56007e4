"""Issue 18, the stage history behind the pipeline report: every change of a loop's stage,
a person's or the system's, is a row written with the change; a new loop's first stage too;
loops older than the history get a plausible one from the backfill migration."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone

from hiring import services, stages
from hiring.decisions import decision_record
from hiring.models import Decision, Loop, LoopStageChange
from scorecards.services import loop_refresh_status
from tests.factories import CandidateFactory, DecisionFactory, LoopFactory, RequisitionFactory

pytestmark = pytest.mark.django_db

S = Loop.Status


def history(loop: Loop) -> list[tuple[str, str, int | None]]:
    return [
        (c.from_status, c.to_status, c.by_id)
        for c in LoopStageChange.objects.filter(loop=loop).order_by("at", "pk")
    ]


def test_a_new_loop_starts_its_history_in_scheduling(world, recruiter):
    candidate = CandidateFactory()
    loop = services.candidate_put_forward(
        candidate=candidate, requisition=world.requisition, by=recruiter
    )
    assert history(loop) == [("", S.SCHEDULING, recruiter.pk)]
    # putting them forward again keeps the loop and writes nothing
    services.candidate_put_forward(candidate=candidate, requisition=world.requisition, by=None)
    assert len(history(loop)) == 1


def test_system_and_personal_changes_are_both_recorded(world, recruiter, hiring_manager):
    loop = world.loop
    world.interview.starts_at = timezone.now() - timedelta(hours=2)
    world.interview.ends_at = timezone.now() + timedelta(hours=1)
    world.interview.save()
    before = timezone.now()
    # the interviews move the loop (nobody did): in progress
    assert loop_refresh_status(loop_id=loop.pk) == S.IN_PROGRESS
    # refreshing again changes nothing, so records nothing
    loop_refresh_status(loop_id=loop.pk)
    decision_record(loop=loop, outcome="hire", rationale="Strong.", by=hiring_manager)
    stages.loop_reopen(loop=loop, by=recruiter, reason="Offer declined; reconsider.")
    assert history(loop) == [
        (S.SCHEDULING, S.IN_PROGRESS, None),
        (S.IN_PROGRESS, S.DECIDED, None),  # the decision's own audit names the manager
        (S.DECIDED, S.SCHEDULING, recruiter.pk),
    ]
    assert all(c.at >= before and not c.backfilled for c in loop.stage_changes.all())


def test_a_refused_change_records_nothing(world):
    loop = Loop.objects.get(pk=world.loop.pk)
    loop.status = S.WITHDRAWN
    loop.save()
    with pytest.raises(Exception, match="withdrawn"):
        stages.advance(loop=loop, to=S.IN_PROGRESS, by=None)
    assert history(loop) == []


def backfill() -> None:
    [path] = Path(apps.get_app_config("hiring").path, "migrations").glob("*_loop_stage_history.py")
    importlib.import_module(f"hiring.migrations.{path.stem}").backfill(apps, None)


def test_the_backfill_reconstructs_a_plausible_history(world, hiring_manager):
    created = datetime(2026, 10, 1, 9, tzinfo=UTC)
    interview_at = datetime(2026, 10, 5, 14, tzinfo=UTC)
    decided_at = datetime(2026, 10, 9, 16, tzinfo=UTC)
    decided = world.loop
    Loop.objects.filter(pk=decided.pk).update(status=S.DECIDED, created_at=created)
    world.interview.starts_at = interview_at
    world.interview.ends_at = interview_at + timedelta(hours=1)
    world.interview.save()
    world.other_interview.starts_at = interview_at + timedelta(days=1)
    world.other_interview.ends_at = interview_at + timedelta(days=1, hours=1)
    world.other_interview.save()
    # an earlier decision, the current one, and a later one no longer current
    for days, current in ((-1, False), (0, True), (3, False)):
        DecisionFactory(
            loop=decided,
            decided_by=hiring_manager,
            decided_at=decided_at + timedelta(days=days),
            is_current=current,
        )
    withdrawn: Loop = LoopFactory(requisition=world.requisition)
    Loop.objects.filter(pk=withdrawn.pk).update(status=S.WITHDRAWN, created_at=created)
    fresh: Loop = LoopFactory(requisition=world.requisition)
    LoopStageChange.objects.all().delete()

    backfill()

    rows = {
        loop.pk: [
            (c.from_status, c.to_status, c.at)
            for c in LoopStageChange.objects.filter(loop=loop).order_by("at", "pk")
        ]
        for loop in (decided, withdrawn, fresh)
    }
    # the current decision (not a later one kept as history) says when it was decided
    assert rows[decided.pk] == [
        ("", S.SCHEDULING, created),
        (S.SCHEDULING, S.IN_PROGRESS, interview_at),
        (S.IN_PROGRESS, S.DECIDED, decided_at),
    ]
    withdrawn.refresh_from_db()
    assert rows[withdrawn.pk] == [
        ("", S.SCHEDULING, created),
        (S.SCHEDULING, S.WITHDRAWN, withdrawn.updated_at),
    ]
    fresh.refresh_from_db()
    assert rows[fresh.pk] == [("", S.SCHEDULING, fresh.created_at)]
    assert LoopStageChange.objects.filter(backfilled=False).count() == 0
    assert Decision.objects.filter(loop=decided, is_current=True).count() == 1


def test_a_loop_added_in_the_admin_starts_its_history_too(client, world, recruiter):
    from tests.hiring.test_scheduling_warnings import new_loop_data

    # the recruiter's candidate, put forward for one requisition, gets a loop for another
    candidate = CandidateFactory()
    services.candidate_put_forward(candidate=candidate, requisition=world.requisition, by=None)
    second = RequisitionFactory(profile=world.requisition.profile)
    second.recruiters.add(recruiter)
    client.force_login(recruiter)

    response = client.post("/admin/hiring/loop/add/", new_loop_data(candidate, second, []))

    assert response.status_code == 302, response.context["adminform"].form.errors
    loop = Loop.objects.get(candidate=candidate, requisition=second)
    assert history(loop) == [("", S.SCHEDULING, recruiter.pk)]
