"""Issue 18, outcomes after the hire: the hiring manager (or HR) records how a hire is doing at
6 and 12 months after the decision, on the configured performance scale; the rules live in
the service; every write is audited with the candidate; outcomes are exported and erased
with the candidate, hidden from interviewers, and reminders ask for them once when due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hiring import access, outcomes
from hiring.delivery.notifications import deliver_due
from hiring.models import (
    AuditEvent,
    Decision,
    HireOutcome,
    Loop,
    Notification,
    User,
)
from hiring.privacy.erase import candidate_erase
from hiring.privacy.export import candidate_export
from hiring.tasks import remind_due_outcomes
from tests.factories import DecisionFactory, LoopFactory, RequisitionFactory, UserFactory

pytestmark = pytest.mark.django_db


def hire(loop: Loop, by: User, days_ago: int) -> Decision:
    """The hiring manager decided to hire ``days_ago`` days ago."""
    Loop.objects.filter(pk=loop.pk).update(status=Loop.Status.DECIDED)
    return DecisionFactory(
        loop=loop, decided_by=by, decided_at=timezone.now() - timedelta(days=days_ago)
    )


def record(loop: Loop, by: User | None, **changes: object) -> HireOutcome:
    fields: dict[str, object] = {
        "months": 6,
        "performance": 4,
        "still_employed": True,
        "regretted": None,
        "note": "Shipped the pricing revamp.",
    } | changes
    return outcomes.record_outcome(loop=loop, by=by, **fields)


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory(username="hr", is_superuser=True, is_staff=True)


# --- Recording ------------------------------------------------------------------------------


def test_the_hiring_manager_records_a_due_outcome_audited_with_the_candidate(world, hiring_manager):
    # given a hire decided seven months ago
    hire(world.loop, hiring_manager, days_ago=215)
    # when the hiring manager records the 6-month outcome
    outcome = record(world.loop, hiring_manager)
    # then it is stored on the five-point scale, by them
    assert (outcome.months, outcome.performance, outcome.scale_max) == (6, 4, 5)
    assert outcome.recorded_by == hiring_manager
    # and the trail says who recorded what, about which candidate
    event = AuditEvent.objects.get(action="outcome.recorded")
    assert event.actor == hiring_manager
    assert event.candidate_id == world.loop.candidate_id
    after = event.after or {}
    assert after["performance"] == 4
    assert after["still_employed"] is True


def test_a_revision_keeps_before_and_after_and_a_replay_writes_nothing(world, hiring_manager):
    hire(world.loop, hiring_manager, days_ago=215)
    record(world.loop, hiring_manager)
    # when the manager corrects the rating, then posts the same form again
    record(world.loop, hiring_manager, performance=2)
    record(world.loop, hiring_manager, performance=2)
    # then one row, revised, and one revision in the trail with only what changed
    assert HireOutcome.objects.get(loop=world.loop).performance == 2
    [revision] = AuditEvent.objects.filter(action="outcome.revised")
    before, after = revision.before or {}, revision.after or {}
    assert before == {"performance": 4, "recorded_at": before["recorded_at"]}
    assert after["performance"] == 2
    assert set(after) == {"performance", "recorded_at"}


def test_before_it_is_due_the_manager_is_told_when_and_hr_may_enter_it(
    world, hiring_manager, admin_user
):
    decision = hire(world.loop, hiring_manager, days_ago=30)
    # when the manager tries the 6-month outcome a month after the hire
    with pytest.raises(ValidationError) as excinfo:
        record(world.loop, hiring_manager)
    # then they are told the date it opens, and nothing is stored
    due = outcomes.due_at(decision, 6)
    assert errors_of(excinfo)["months"] == [
        f"The 6-month outcome is due on {due:%d %B %Y}: record it from then on, "
        "or now if they have left."
    ]
    assert not HireOutcome.objects.exists()
    # but HR (a superuser) may enter history early
    assert record(world.loop, admin_user).recorded_by == admin_user


def test_a_departure_is_recorded_when_it_happens_and_no_later_checkpoint_is_asked_for(
    world, hiring_manager, settings
):
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = 0
    # given a hire who left in their third month
    hire(world.loop, hiring_manager, days_ago=80)
    # when the manager records it at once, on the 6-month checkpoint
    left = record(
        world.loop,
        hiring_manager,
        performance=None,
        still_employed=False,
        regretted=True,
        note="Left for a competitor.",
    )
    assert (left.months, left.still_employed, left.regretted) == (6, False, True)
    # then the page's checkpoints say so, and a rating is still refused before it is due
    six, twelve = outcomes.checkpoints(world.loop)
    assert six.outcome == left
    assert twelve.left_before == left
    with pytest.raises(ValidationError):
        record(world.loop, hiring_manager, months=12)
    # and a year on, nobody is asked how they are doing at 12 months
    Decision.objects.filter(loop=world.loop).update(decided_at=timezone.now() - timedelta(days=370))
    assert outcomes.due_outcomes(timezone.now()) == []
    assert remind_due_outcomes() == 0
    # a reminder already queued for it renders to nothing
    assert outcomes.notifications.notify(
        reason=outcomes.OUTCOME_DUE,
        obj=world.loop,
        recipient_email=hiring_manager.email,
        recipient=hiring_manager,
        sequence=12,
    )
    deliver_due()
    assert mail.outbox == []


def test_the_twelve_month_checkpoint_opens_twelve_months_after_the_decision(world, hiring_manager):
    hire(world.loop, hiring_manager, days_ago=300)
    record(world.loop, hiring_manager)
    with pytest.raises(ValidationError) as excinfo:
        record(world.loop, hiring_manager, months=12)
    assert "12-month outcome is due" in errors_of(excinfo)["months"][0]


@pytest.mark.parametrize("outcome", [None, Decision.Outcome.NO_HIRE])
def test_outcomes_are_only_for_hires(world, hiring_manager, admin_user, outcome):
    if outcome is not None:
        Loop.objects.filter(pk=world.loop.pk).update(status=Loop.Status.DECIDED)
        DecisionFactory(
            loop=world.loop,
            outcome=outcome,
            decided_by=hiring_manager,
            decided_at=timezone.now() - timedelta(days=400),
        )
    with pytest.raises(ValidationError) as excinfo:
        record(world.loop, admin_user)
    assert errors_of(excinfo)["loop"] == [
        "Outcomes are recorded for hires: this loop's decision is not to hire."
    ]
    assert not HireOutcome.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"performance": 6}, "performance", "Choose a rating from 1 to 5."),
        ({"performance": 0}, "performance", "Choose a rating from 1 to 5."),
        ({"performance": None}, "performance", "Rate their performance: they are still employed."),
        (
            {"regretted": True},
            "regretted",
            "Regretted attrition is for someone who left: leave it empty.",
        ),
        (
            {"still_employed": False, "regretted": None},
            "regretted",
            "They left: say whether it was regretted attrition.",
        ),
        ({"months": 9}, "months", "Choose the 6- or 12-month checkpoint."),
        ({"note": "x" * 2001}, "note", "Keep this within 2,000 characters (you wrote 2,001)."),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_stored(
    world, hiring_manager, changes, field, message
):
    hire(world.loop, hiring_manager, days_ago=400)
    with pytest.raises(ValidationError) as excinfo:
        record(world.loop, hiring_manager, **changes)
    assert errors_of(excinfo)[field] == [message]
    assert not HireOutcome.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="outcome.").exists()


def test_someone_who_left_needs_no_rating_and_says_whether_it_was_regretted(world, hiring_manager):
    hire(world.loop, hiring_manager, days_ago=400)
    outcome = record(
        world.loop,
        hiring_manager,
        months=12,
        performance=None,
        still_employed=False,
        regretted=True,
    )
    assert (outcome.performance, outcome.still_employed, outcome.regretted) == (None, False, True)


def test_the_scale_is_configurable_and_each_outcome_keeps_its_own(world, hiring_manager, settings):
    hire(world.loop, hiring_manager, days_ago=400)
    settings.OUTCOME_PERFORMANCE_SCALE = ["Below", "Meets", "Above"]
    with pytest.raises(ValidationError) as excinfo:
        record(world.loop, hiring_manager, performance=4)
    assert errors_of(excinfo)["performance"] == ["Choose a rating from 1 to 3."]
    outcome = record(world.loop, hiring_manager, performance=3)
    assert outcome.scale_max == 3
    assert outcomes.performance_label(3, 3) == "Above"
    # read under a later, larger scale, the old rating says what it was out of
    settings.OUTCOME_PERFORMANCE_SCALE = ["1", "2", "3", "4", "5"]
    assert outcomes.performance_label(3, 3) == "3 of 3"


def test_the_database_refuses_incoherent_rows(world, hiring_manager):
    hire(world.loop, hiring_manager, days_ago=400)
    base = {"loop": world.loop, "months": 6, "scale_max": 5, "recorded_at": timezone.now()}
    for bad in (
        {"performance": 6, "still_employed": True},
        {"performance": 3, "still_employed": True, "regretted": False},
        {"performance": None, "still_employed": True},
        {"performance": 3, "still_employed": True, "months": 7},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            HireOutcome.objects.create(**(base | bad))


def test_an_erased_candidate_gets_no_new_outcome(world, hiring_manager, recruiter):
    hire(world.loop, hiring_manager, days_ago=400)
    candidate_erase(candidate=world.loop.candidate, by=recruiter, reason="Their request")
    world.loop.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        record(world.loop, hiring_manager)
    assert "erased" in errors_of(excinfo)["loop"][0]


# --- Who ------------------------------------------------------------------------------------


def test_staff_record_outcomes_and_the_panel_and_others_may_not(
    world, hiring_manager, recruiter, interviewer, outsider
):
    hire(world.loop, hiring_manager, days_ago=400)
    # the recruiter may record
    record(world.loop, recruiter)
    # the interviewer who sat on the hired loop's panel, and an outsider, may not
    for person in (interviewer, outsider):
        with pytest.raises(PermissionDenied) as excinfo:
            record(world.loop, person, performance=1)
        assert str(excinfo.value) == (
            "Only the requisition's hiring manager and recruiters record outcomes after the hire."
        )
    assert HireOutcome.objects.get().performance == 4


def test_outcomes_are_hidden_from_interviewers_and_other_requisitions(
    world, hiring_manager, recruiter, interviewer, other_interviewer
):
    hire(world.loop, hiring_manager, days_ago=400)
    outcome = record(world.loop, hiring_manager)
    other_recruiter = UserFactory(username="otto")
    RequisitionFactory(recruiters=[other_recruiter])
    # the panel of the very loop sees nothing, nor does another requisition's recruiter
    for person in (interviewer, other_interviewer, other_recruiter):
        assert not access.visible(person, HireOutcome).exists()
        assert not access.can(person, "view", outcome)
    # the requisition's staff do
    for person in (hiring_manager, recruiter):
        assert list(access.visible(person, HireOutcome)) == [outcome]


def test_a_hiring_manager_on_the_panel_still_sees_their_hire_outcomes(world, hiring_manager):
    """Staff see outcomes whatever else they are: sitting on the panel is no bar, only being
    nothing but the panel is."""
    world.interview.interviewers.add(hiring_manager)
    hire(world.loop, hiring_manager, days_ago=400)
    record(world.loop, hiring_manager)
    assert access.visible(hiring_manager, HireOutcome).count() == 1


# --- Personal data ---------------------------------------------------------------------------


def test_the_candidate_export_holds_their_outcomes_for_staff(world, hiring_manager, recruiter):
    hire(world.loop, hiring_manager, days_ago=400)
    record(world.loop, hiring_manager)
    record(world.loop, hiring_manager, months=12, note="Promoted.", performance=5)
    data = candidate_export(candidate=world.loop.candidate, by=recruiter)
    [loop] = data["loops"]
    assert [(o["months"], o["performance"], o["note"]) for o in loop["outcomes_after_hire"]] == [
        (6, 4, "Shipped the pricing revamp."),
        (12, 5, "Promoted."),
    ]
    assert loop["outcomes_after_hire"][0]["recorded_by"] == hiring_manager.display_name
    # and the trail it exports shows the outcomes were recorded
    assert [e["action"] for e in data["audit_events"]].count("outcome.recorded") == 2


def test_erasing_the_candidate_erases_their_outcomes_and_what_the_trail_said(
    world, hiring_manager, recruiter
):
    hire(world.loop, hiring_manager, days_ago=400)
    record(world.loop, hiring_manager)
    record(world.loop, hiring_manager, performance=1, note="Struggled with the team.")
    candidate_erase(candidate=world.loop.candidate, by=recruiter, reason="Their request")
    assert not HireOutcome.objects.exists()
    events = AuditEvent.objects.filter(object_type="hiring.hireoutcome")
    assert events.count() == 2  # that they were recorded stays
    for event in events:
        for side in (event.before, event.after):
            assert side is None or set(side.values()) == {"[erased]"}
    assert "Struggled" not in str(list(events.values("before", "after")))


# --- Reminders -------------------------------------------------------------------------------


def test_a_due_outcome_reminds_the_hiring_manager_once_with_a_rendered_email(
    world, hiring_manager, settings
):
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = 0  # no quiet hours in this test
    world.loop.candidate.full_name = "Ada Brook"
    world.loop.candidate.save()
    hire(world.loop, hiring_manager, days_ago=200)
    # when the beat task runs twice
    assert remind_due_outcomes() == 1
    assert remind_due_outcomes() == 0
    # then one reminder, to the hiring manager, for the 6-month checkpoint
    [reminder] = Notification.objects.filter(reason=outcomes.OUTCOME_DUE)
    assert (reminder.recipient, reminder.sequence) == (hiring_manager, 6)
    deliver_due()
    [message] = mail.outbox
    assert message.to == [hiring_manager.email]
    name = world.loop.candidate.full_name
    assert message.subject == f"How is {name} doing? 6 months outcome"
    link = f"/insight/loops/{world.loop.pk}/outcomes/"
    assert link in message.body
    assert "Record the outcome" in message.body
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert link in html
    assert f"<strong>{name}</strong>" in html
    # and once recorded, even a sweep after the reminders' key was forgotten asks nothing
    record(world.loop, hiring_manager)
    Notification.objects.all().delete()
    assert remind_due_outcomes() == 0


def test_a_reminder_recorded_before_it_is_sent_is_cancelled(world, hiring_manager, settings):
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = 0
    hire(world.loop, hiring_manager, days_ago=200)
    outcomes.remind_due()
    record(world.loop, hiring_manager)
    deliver_due()
    assert mail.outbox == []
    assert Notification.objects.get(reason=outcomes.OUTCOME_DUE).status == "cancelled"


def test_only_due_unrecorded_checkpoints_are_asked_for(hiring_manager):
    now = datetime(2031, 6, 15, 9, 0, tzinfo=UTC)

    def hired(decided: datetime) -> Loop:
        loop = LoopFactory(requisition=RequisitionFactory(hiring_manager=hiring_manager))
        DecisionFactory(loop=loop, decided_by=hiring_manager, decided_at=decided)
        return loop

    six = hired(datetime(2030, 12, 10, tzinfo=UTC))  # 6 months on 10 June: due
    twelve = hired(datetime(2030, 6, 1, tzinfo=UTC))  # 12 months on 1 June: due
    hired(datetime(2031, 1, 20, tzinfo=UTC))  # 6 months on 20 July: not yet
    hired(datetime(2020, 1, 1, tzinfo=UTC))  # long past: HR imports that history
    no_hire = hired(datetime(2030, 12, 10, tzinfo=UTC))
    Decision.objects.filter(loop=no_hire).update(outcome=Decision.Outcome.NO_HIRE)
    due = {(item.loop.pk, item.months) for item in outcomes.due_outcomes(now)}
    assert due == {(twelve.pk, 12), (six.pk, 6)}
    # and twelve's 6-month checkpoint (due in December) is past the reminding window


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert outcomes.add_months(datetime(2031, 8, 31, 10, tzinfo=UTC), 6) == datetime(
        2032, 2, 29, 10, tzinfo=UTC
    )
    assert outcomes.add_months(datetime(2031, 1, 15, tzinfo=UTC), 12) == datetime(
        2032, 1, 15, tzinfo=UTC
    )
    assert outcomes.add_months(datetime(2031, 3, 31, tzinfo=UTC), -1) == datetime(
        2031, 2, 28, tzinfo=UTC
    )
