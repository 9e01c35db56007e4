"""Issue 12's findings, each as the user who found it would see it: the personal-data export
and the audit trail keep the blind rule and the requisition's walls, a recruiter cannot staff
their own requisition or edit the rubric, a hidden summary cannot be inferred from a sort,
and the admin writes decisions and stages only through the services."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from hiring import access, privacy
from hiring.decisions import decision_record
from hiring.delivery import outbox
from hiring.models import (
    AuditEvent,
    Decision,
    Interview,
    Loop,
    RoleProfile,
    User,
)
from hiring.roles import RECRUITERS_GROUP
from scorecards import services
from scorecards.calibration.summaries import loop_summary_compute
from scorecards.models import LoopSummary
from scorecards.services import RatingInput, ScorecardContent
from tests.factories import (
    CandidateFactory,
    InterviewFactory,
    LoopFactory,
    RequisitionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def submit(
    interview: Interview, interviewer: User, evidence: str, rec: str = "yes", rating: int = 3
) -> None:
    dimension_ids = interview.focus_dimensions.values_list("pk", flat=True)
    scorecard = services.scorecard_get_or_create(interview=interview, interviewer=interviewer)
    services.scorecard_submit(
        scorecard=scorecard,
        by=interviewer,
        content=ScorecardContent(
            ratings={pk: RatingInput(rating=rating, evidence=evidence) for pk in dimension_ids},
            overall_recommendation=rec,
            key_takeaways=f"takeaways: {evidence}",
        ),
    )


def recruiter_named(username: str) -> User:
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def panel_recruiter(world, recruiter, other_interviewer) -> User:
    """The world's recruiter sits on the loop's first interview and has not submitted; the
    colleague on the other interview has."""
    world.interview.interviewers.add(recruiter)
    submit(world.other_interview, other_interviewer, "COLLEAGUE-EVIDENCE")
    return recruiter


@pytest.fixture
def shared_candidate(world, interviewer) -> tuple[Loop, User]:
    """The world's candidate also interviews for requisition B, whose panel wrote
    confidential evidence and whose manager decided; B has its own recruiter."""
    recruiter_b = recruiter_named("bea")
    manager_b = UserFactory(username="bill")
    requisition_b = RequisitionFactory(
        title="Payments lead", hiring_manager=manager_b, recruiters=[recruiter_b]
    )
    loop_b = LoopFactory(candidate=world.loop.candidate, requisition=requisition_b)
    panelist_b = UserFactory(username="paz")
    interview_b = InterviewFactory(loop=loop_b, interviewers=[panelist_b])
    submit(interview_b, panelist_b, "B-CONFIDENTIAL-EVIDENCE")
    decision_record(loop=loop_b, outcome="no_hire", rationale="B-RATIONALE", by=manager_b)
    return loop_b, recruiter_b


# --- Personal-data export and audit trail ---------------------------------------------------


def test_export_keeps_the_blind_rule_for_a_recruiter_who_owes(world, panel_recruiter):
    data = privacy.candidate_export(candidate=world.loop.candidate, by=panel_recruiter)

    dumped = json.dumps(data)
    assert "COLLEAGUE-EVIDENCE" not in dumped
    assert world.loop.candidate.email in dumped  # their own candidate's data is all there


def test_export_over_the_api_keeps_the_blind_rule(world, panel_recruiter):
    client = signed_in(panel_recruiter)
    response = client.get(f"/api/v1/candidates/{world.loop.candidate.pk}/personal-data/")

    assert response.status_code == 200
    assert "COLLEAGUE-EVIDENCE" not in response.content.decode()


def test_audit_trail_keeps_the_blind_rule(world, panel_recruiter):
    client = signed_in(panel_recruiter)
    page = client.get(f"/admin/hiring/auditevent/?candidate={world.loop.candidate.pk}")
    assert page.status_code == 200
    assert "scorecard.submitted" not in page.content.decode()
    for event in AuditEvent.objects.filter(object_type="scorecards.scorecard"):
        detail = client.get(f"/admin/hiring/auditevent/{event.pk}/change/")
        assert detail.status_code in (302, 404)
        assert "COLLEAGUE-EVIDENCE" not in detail.content.decode()


def test_export_and_trail_stay_inside_the_recruiters_requisitions(
    world, recruiter, shared_candidate
):
    _loop_b, recruiter_b = shared_candidate

    data = privacy.candidate_export(candidate=world.loop.candidate, by=recruiter)
    dumped = json.dumps(data)
    assert "B-CONFIDENTIAL-EVIDENCE" not in dumped
    assert "B-RATIONALE" not in dumped
    assert [loop["requisition"] for loop in data["loops"]] == [world.requisition.title]

    trail = access.visible(recruiter, AuditEvent).filter(candidate=world.loop.candidate)
    assert "B-CONFIDENTIAL-EVIDENCE" not in json.dumps(list(trail.values("before", "after")))
    assert not trail.filter(action="decision.recorded").exists()

    # B's recruiter sees B's side, and none of A's.
    theirs = json.dumps(privacy.candidate_export(candidate=world.loop.candidate, by=recruiter_b))
    assert "B-CONFIDENTIAL-EVIDENCE" in theirs


def test_a_superusers_export_is_complete(world, shared_candidate):
    admin = UserFactory(username="ada", is_superuser=True, is_staff=True)
    dumped = json.dumps(privacy.candidate_export(candidate=world.loop.candidate, by=admin))
    assert "B-CONFIDENTIAL-EVIDENCE" in dumped
    assert "B-RATIONALE" in dumped


# --- Staffing and the rubric are an administrator's -----------------------------------------


def test_a_recruiter_cannot_make_themselves_hiring_manager(world, recruiter, hiring_manager):
    client = signed_in(recruiter)
    url = f"/admin/hiring/requisition/{world.requisition.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="hiring_manager"' not in page.content.decode()
    assert 'name="recruiters"' not in page.content.decode()
    assert 'name="profile"' not in page.content.decode()

    client.post(
        url,
        {
            "title": world.requisition.title,
            "status": world.requisition.status,
            "hiring_manager": recruiter.pk,
            "recruiters": [recruiter.pk],
            "profile": world.requisition.profile_id,
            "remind_before_hours": 24,
            "remind_morning_of": "on",
            "first_reminder_after_minutes": 60,
            "reminder_interval_hours": 24,
            "escalate_after_hours": 48,
        },
    )
    world.requisition.refresh_from_db()
    assert world.requisition.hiring_manager == hiring_manager
    assert list(world.requisition.recruiters.all()) == [recruiter]
    with pytest.raises(Exception, match="hiring manager"):
        decision_record(loop=world.loop, outcome="hire", rationale="Me!", by=recruiter)


def test_a_recruiter_reads_role_profiles_but_cannot_change_them(world, recruiter):
    client = signed_in(recruiter)
    profile = world.requisition.profile
    url = f"/admin/hiring/roleprofile/{profile.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="bar"' not in page.content.decode()  # a view, no inputs
    response = client.post(url, {"name": profile.name, "slug": profile.slug, "bar": "1"})
    assert response.status_code == 403
    profile.refresh_from_db()
    assert profile.bar != 1
    # A profile none of their requisitions uses is not even listed.
    unused = RoleProfile.objects.exclude(pk=profile.pk).first()
    assert unused is not None
    assert client.get(f"/admin/hiring/roleprofile/{unused.pk}/change/").status_code == 302


def test_a_recruiter_does_not_see_another_recruiters_new_candidate(world, recruiter):
    other = recruiter_named("otto")
    newcomer = CandidateFactory(full_name="Fresh Import", email="fresh@example.com")
    privacy.audit(action="candidate.imported", obj=newcomer, by=other, after={})
    mine = CandidateFactory(full_name="My Own", email="mine@example.com")
    privacy.audit(action="candidate.created", obj=mine, by=recruiter, after={})

    listing = signed_in(recruiter).get("/admin/hiring/candidate/").content.decode()
    assert "My Own" in listing
    assert "Fresh Import" not in listing
    assert not access.candidates_recruited(recruiter).filter(pk=newcomer.pk).exists()
    assert access.candidates_recruited(other).filter(pk=newcomer.pk).exists()


# --- The blind rule in sort orders -----------------------------------------------------------


def test_sorting_by_recommendation_does_not_order_hidden_rows_by_their_hidden_verdict(
    hiring_manager, interviewer
):
    requisition = RequisitionFactory(hiring_manager=hiring_manager)
    names = ["Aaron", "Beth", "Cleo", "Dov"]
    verdicts = [("strong_no", 1), ("strong_yes", 4), ("no", 2), ("yes", 3)]
    for name, (verdict, rating) in zip(names, verdicts, strict=True):
        loop = LoopFactory(requisition=requisition, candidate__full_name=name)
        InterviewFactory(loop=loop, interviewers=[hiring_manager])  # the manager owes
        colleague_interview = InterviewFactory(loop=loop, interviewers=[interviewer])
        submit(colleague_interview, interviewer, "ok", rec=verdict, rating=rating)
        loop_summary_compute(loop_id=loop.pk)
    # The partial summaries hold scores the manager must not be able to infer.
    assert LoopSummary.objects.filter(calibrated_score__isnull=False).count() == 4

    for sort in ("recommendation", "-calibrated"):
        page = signed_in(hiring_manager).get(f"/manager/?sort={sort}").content.decode()
        positions = [page.index(name) for name in names]
        assert positions == sorted(positions), f"hidden rows ordered by {sort}"


# --- The admin writes through the services ---------------------------------------------------


def test_no_one_adds_or_edits_a_decision_in_the_admin(world, hiring_manager):
    admin = UserFactory(username="ada", is_superuser=True, is_staff=True)
    decision = decision_record(loop=world.loop, outcome="hire", rationale="Yes.", by=hiring_manager)
    client = signed_in(admin)
    assert client.get("/admin/hiring/decision/add/").status_code == 403
    client.post(
        f"/admin/hiring/decision/{decision.pk}/change/",
        {"outcome": "no_hire", "rationale": "Changed behind the service's back."},
    )
    decision.refresh_from_db()
    assert decision.outcome == "hire"
    assert client.post(f"/admin/hiring/decision/{decision.pk}/delete/", {"post": "yes"})
    assert Decision.objects.filter(pk=decision.pk).exists()


def test_the_loop_stage_is_not_typed_in_the_admin(world, recruiter):
    client = signed_in(recruiter)
    page = client.get(f"/admin/hiring/loop/{world.loop.pk}/change/").content.decode()
    assert 'name="status"' not in page


def test_the_reopen_action_asks_for_a_reason_then_reopens(world, recruiter):
    from hiring.services import loop_withdraw

    loop_withdraw(loop=world.loop, by=recruiter, reason="Took another offer.")
    client = signed_in(recruiter)
    changelist = "/admin/hiring/loop/?state=all"
    ask = client.post(changelist, {"action": "reopen", "_selected_action": [world.loop.pk]})
    assert ask.status_code == 200
    assert "Reason" in ask.content.decode()
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.WITHDRAWN

    client.post(
        changelist,
        {
            "action": "reopen",
            "_selected_action": [world.loop.pk],
            "confirm": "yes",
            "reason": "Back on the market.",
        },
    )
    world.loop.refresh_from_db()
    assert world.loop.status in Loop.OPEN_STATUSES
    assert AuditEvent.objects.filter(action="loop.reopened", actor=recruiter).exists()

    # Its stage follows the interviews again: both are over and owe scorecards.
    Interview.objects.filter(loop=world.loop).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=2)
    )
    outbox.dispatch()
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.AWAITING_FEEDBACK


def test_a_model_the_policy_does_not_name_is_closed_to_all_but_superusers(world, recruiter):
    from django.contrib.sessions.models import Session

    signed_in(recruiter)  # a session row exists
    admin = UserFactory(username="ada", is_superuser=True, is_staff=True)
    assert Session.objects.exists()
    assert not access.visible(recruiter, Session).exists()
    assert access.visible(admin, Session).exists()
    assert not access.can(recruiter, "staff", world.requisition)
    assert access.can(recruiter, "change", world.requisition)
    assert access.can(admin, "staff", world.requisition)


def test_an_overlong_reopen_or_erase_reason_is_refused_and_changes_nothing(world, recruiter):
    from hiring import stages
    from hiring.services import loop_withdraw

    loop_withdraw(loop=world.loop, by=recruiter, reason="Took another offer.")
    with pytest.raises(ValidationError):
        stages.loop_reopen(loop=world.loop, by=recruiter, reason="x" * 2_001)
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.WITHDRAWN

    client = signed_in(recruiter)
    candidate = world.loop.candidate
    client.post(
        f"/admin/hiring/candidate/{candidate.pk}/erase/",
        {"confirm": "yes", "reason": "y" * 501},
    )
    candidate.refresh_from_db()
    assert candidate.anonymised_at is None
