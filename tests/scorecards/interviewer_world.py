"""The interviewer-analytics world shared by the page and API tests (issue 18): requisition
A (recruiter rita, manager hugo) and requisition B (recruiter rob); iris sits on loops of
both, jonas on A's only. Fixtures are registered under their names (``history``, ...), so a
test module imports the functions and asks for the names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from hiring.models import Requisition, User
from hiring.roles import RECRUITERS_GROUP
from scorecards.calibration import summaries
from scorecards.models import Scorecard
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory, UserFactory
from tests.scorecards.test_summaries import submit


def sit(
    requisition, people, *, ended_hours_ago=48, after_hours=(2.0,), ratings=(3,), recs=("yes",)
):
    """A loop of ``requisition`` with one interview per person, each scorecard submitted
    ``after_hours`` after the interview ended, with ``ratings`` and ``recs`` per person."""
    loop = LoopFactory(requisition=requisition)
    ended = timezone.now() - timedelta(hours=ended_hours_ago)
    for index, person in enumerate(people):
        interview = InterviewFactory(
            loop=loop,
            interviewers=[person],
            starts_at=ended - timedelta(hours=1),
            ends_at=ended,
            focus=["product-strategy", "communication"],
        )
        submit(
            interview,
            person,
            rating=ratings[index % len(ratings)],
            overall_recommendation=recs[index % len(recs)],
        )
        Scorecard.objects.filter(interview=interview, interviewer=person).update(
            first_submitted_at=ended + timedelta(hours=after_hours[index % len(after_hours)])
        )
    return loop


@pytest.fixture(name="rob")
def rob_fixture(db) -> User:
    user = UserFactory(username="rob", is_staff=True)
    user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    return user


@pytest.fixture(name="req_a")
def req_a_fixture(recruiter, hiring_manager) -> Requisition:
    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    return RequisitionFactory(hiring_manager=hiring_manager, recruiters=[recruiter])


@pytest.fixture(name="req_b")
def req_b_fixture(rob) -> Requisition:
    return RequisitionFactory(hiring_manager=UserFactory(username="max"), recruiters=[rob])


@pytest.fixture(name="history")
def history_fixture(req_a, req_b, interviewer, other_interviewer):
    """A: two loops with iris and jonas (iris 1 h and 5 h, jonas 30 h); B: one with iris
    alone (50 h)."""
    a1 = sit(req_a, [interviewer, other_interviewer], after_hours=(1.0, 30.0), recs=("yes", "yes"))
    a2 = sit(req_a, [interviewer, other_interviewer], after_hours=(5.0, 30.0), recs=("no", "yes"))
    b1 = sit(req_b, [interviewer], after_hours=(50.0,))
    summaries.calibration_refit()
    return a1, a2, b1
