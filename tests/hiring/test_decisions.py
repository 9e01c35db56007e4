"""Recording a decision: the hiring manager only, a rationale always, history kept, audited,
announced through the outbox in the same transaction."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hiring.decisions import decision_record
from hiring.models import AuditEvent, Decision, Loop, OutboxEvent, RoleProfile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_hiring_manager_records_a_decision(world, hiring_manager):
    decision = decision_record(
        loop=world.loop, outcome="hire", rationale="Strong on strategy.", by=hiring_manager
    )

    assert decision.is_current
    assert decision.decided_by == hiring_manager
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.DECIDED
    event = AuditEvent.objects.get(action="decision.recorded")
    assert event.actor == hiring_manager
    assert event.object_id == str(decision.pk)
    before, after = event.before or {}, event.after or {}
    assert before["decision"] is None
    assert after["decision"]["outcome"] == "hire"
    assert after["loop_status"] == "decided"
    outbox = OutboxEvent.objects.get(topic="decision.recorded")
    assert outbox.payload["decision_id"] == decision.pk
    assert outbox.payload["loop_id"] == world.loop.pk


def test_a_new_decision_keeps_the_previous_one_as_history(world, hiring_manager):
    first = decision_record(
        loop=world.loop, outcome="hire", rationale="Strong on strategy.", by=hiring_manager
    )
    senior_pm = RoleProfile.objects.get(slug="senior-product-manager")

    second = decision_record(
        loop=world.loop,
        outcome="hire",
        rationale="Reference check: offer one level down.",
        level_offered=senior_pm,
        by=hiring_manager,
    )

    first.refresh_from_db()
    assert not first.is_current
    assert second.is_current
    assert second.level_offered == senior_pm
    assert list(Decision.objects.filter(loop=world.loop).order_by("pk")) == [first, second]
    latest = AuditEvent.objects.filter(action="decision.recorded").order_by("-pk")[0]
    assert (latest.before or {})["decision"]["id"] == first.pk
    assert (latest.after or {})["decision"]["level_offered"] == "senior-product-manager"


@pytest.mark.parametrize("rationale", ["", "   "])
def test_a_rationale_is_required(world, hiring_manager, rationale):
    with pytest.raises(ValidationError) as error:
        decision_record(loop=world.loop, outcome="hire", rationale=rationale, by=hiring_manager)
    assert "rationale" in error.value.message_dict
    assert not Decision.objects.exists()
    assert not OutboxEvent.objects.filter(topic="decision.recorded").exists()


def test_an_unknown_outcome_is_refused(world, hiring_manager):
    with pytest.raises(ValidationError) as error:
        decision_record(loop=world.loop, outcome="maybe", rationale="Hmm.", by=hiring_manager)
    assert "outcome" in error.value.message_dict


@pytest.mark.parametrize("persona", ["recruiter", "interviewer", "outsider"])
def test_only_the_hiring_manager_decides(world, request, persona):
    person = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        decision_record(loop=world.loop, outcome="hire", rationale="Looks good.", by=person)
    assert not Decision.objects.exists()
    assert not AuditEvent.objects.filter(action="decision.recorded").exists()


def test_another_hiring_manager_cannot_decide(world):
    other = UserFactory(username="mara")
    with pytest.raises(PermissionDenied):
        decision_record(loop=world.loop, outcome="hire", rationale="Looks good.", by=other)


def test_a_superuser_may_decide(world):
    admin = UserFactory(username="ada", is_superuser=True, is_staff=True)
    decision = decision_record(loop=world.loop, outcome="no_hire", rationale="No.", by=admin)
    assert decision.is_current


def test_a_failure_after_the_write_rolls_everything_back(world, hiring_manager, monkeypatch):
    from hiring.delivery import outbox

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(outbox, "emit", broken)
    with pytest.raises(RuntimeError):
        decision_record(loop=world.loop, outcome="hire", rationale="Fine.", by=hiring_manager)
    assert not Decision.objects.exists()
    assert not AuditEvent.objects.exists()
    world.loop.refresh_from_db()
    assert world.loop.status != Loop.Status.DECIDED


# --- The rules live in the service (issue 12): whoever calls it, they hold ------------------


def test_a_withdrawn_loop_cannot_be_decided(world, hiring_manager, recruiter):
    from hiring.services import loop_withdraw

    loop_withdraw(loop=world.loop, by=recruiter, reason="Took another offer.")
    with pytest.raises(ValidationError) as error:
        decision_record(loop=world.loop, outcome="hire", rationale="Great.", by=hiring_manager)
    assert "withdrawn" in str(error.value.message_dict["status"])
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.WITHDRAWN
    assert not Decision.objects.exists()


def test_an_erased_candidates_loop_cannot_be_decided(world, hiring_manager, recruiter):
    from hiring import privacy

    privacy.candidate_erase(candidate=world.loop.candidate, by=recruiter, reason="Request.")
    with pytest.raises(ValidationError):
        decision_record(loop=world.loop, outcome="hire", rationale="Great.", by=hiring_manager)
    assert not Decision.objects.exists()


def test_a_decided_loop_cannot_be_withdrawn(world, hiring_manager, recruiter):
    from hiring.services import loop_withdraw

    decision_record(loop=world.loop, outcome="hire", rationale="Great.", by=hiring_manager)
    with pytest.raises(ValidationError) as error:
        loop_withdraw(loop=world.loop, by=recruiter, reason="Took another offer.")
    assert "decided" in str(error.value)
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.DECIDED


def test_a_manager_who_owes_a_scorecard_cannot_decide(world, hiring_manager):
    world.interview.interviewers.add(hiring_manager)  # on the panel, nothing submitted
    with pytest.raises(PermissionDenied) as error:
        decision_record(loop=world.loop, outcome="hire", rationale="Great.", by=hiring_manager)
    assert "your own scorecard" in str(error.value)
    assert not Decision.objects.exists()


def test_a_level_off_the_ladder_is_refused(world, hiring_manager):
    from hiring.models import Requisition

    other_ladder = RoleProfile.objects.create(name="Staff Engineer", slug="staff-engineer")
    with pytest.raises(ValidationError) as error:
        decision_record(
            loop=world.loop,
            outcome="hire",
            rationale="Great.",
            level_offered=other_ladder,
            by=hiring_manager,
        )
    assert "level_offered" in error.value.message_dict
    assert Requisition.objects.filter(pk=world.requisition.pk).exists()
    assert not Decision.objects.exists()


def test_a_reopened_loop_can_be_decided_again_and_the_reason_is_audited(
    world, hiring_manager, recruiter
):
    from hiring import stages
    from hiring.services import loop_withdraw

    loop_withdraw(loop=world.loop, by=recruiter, reason="Took another offer.")
    with pytest.raises(ValidationError):
        stages.loop_reopen(loop=world.loop, by=recruiter, reason="  ")
    stages.loop_reopen(loop=world.loop, by=recruiter, reason="Offer fell through.")

    decision_record(loop=world.loop, outcome="hire", rationale="Great.", by=hiring_manager)
    reopened = AuditEvent.objects.get(action="loop.reopened")
    assert reopened.actor == recruiter
    assert (reopened.after or {})["reason"] == "Offer fell through."
    withdrawn = AuditEvent.objects.get(action="loop.stage_changed")
    assert (withdrawn.after or {}) == {"status": "withdrawn", "reason": "Took another offer."}


def test_only_the_loops_recruiters_reopen_it(world, hiring_manager, recruiter):
    from hiring import stages
    from hiring.services import loop_withdraw

    loop_withdraw(loop=world.loop, by=recruiter, reason="Took another offer.")
    with pytest.raises(PermissionDenied):
        stages.loop_reopen(loop=world.loop, by=hiring_manager, reason="Mine now.")
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.WITHDRAWN


def test_the_decision_keeps_the_recommendation_the_manager_had_in_front_of_them(
    world, hiring_manager, interviewer, other_interviewer
):
    from scorecards.calibration import summaries
    from scorecards.models import LoopSummary
    from tests.scorecards.test_summaries import submit

    # without a summary there is nothing to keep
    first = decision_record(
        loop=world.loop, outcome="no_hire", rationale="Too early.", by=hiring_manager
    )
    assert (first.recommendation, first.panel_split) == ("", False)

    # with one, its recommendation at that moment stays with the decision
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=4)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    shown = LoopSummary.objects.get(loop=world.loop).recommendation
    assert shown in {"hire", "strong_hire"}
    second = decision_record(
        loop=world.loop, outcome="hire", rationale="Strong everywhere.", by=hiring_manager
    )
    LoopSummary.objects.filter(loop=world.loop).update(recommendation="no_hire")
    second.refresh_from_db()
    assert (second.recommendation, second.panel_split) == (shown, False)
