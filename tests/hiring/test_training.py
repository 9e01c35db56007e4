"""Interviewer training (issue 17): a trainee on a plan slot shadows N interviews, then
reverse-shadows M, then is qualified (counts per slot; completed trainee seats count; a
recruiter may set the state instead). Until then they are not proposed to hold the slot;
they join interviews as extra panelists, open the kit and write scorecards, which count
towards neither the hiring manager's recommendation nor the calibration. The recruiter sees
who is in training where."""

from __future__ import annotations

import re
from datetime import time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from hiring.errors import Invalid
from hiring.models import Interview, PlanSlot, TrainingRecord, User
from hiring.scheduling import profiles, proposals
from scorecards.calibration import summaries
from scorecards.models import InterviewerCalibration, Scorecard
from tests.factories import InterviewFactory, UserFactory
from tests.hiring.test_proposals import at, one_day, panel, planned
from tests.scorecards.test_summaries import submit

__all__ = ["panel", "planned"]  # fixtures used by the tests below

State = TrainingRecord.State


@pytest.fixture
def trainee(db) -> User:
    return UserFactory(username="tia", first_name="Tia", last_name="Trainee")


def sit_in(slot: PlanSlot, person: User, status: str = Interview.Status.COMPLETED) -> Interview:
    """An interview of ``slot`` (in its requisition's world loop) with ``person`` as trainee."""
    assert slot.requisition is not None
    interview = InterviewFactory(
        loop=slot.requisition.loops.first(), interviewers=[person], plan_slot=slot, status=status
    )
    interview.trainees.add(person)
    return interview


def state_of(record: TrainingRecord) -> State:
    [training] = profiles.training_records(pk=record.pk)
    return training.state


def test_a_trainee_shadows_then_reverse_shadows_then_is_qualified(planned, trainee):
    slot = PlanSlot.objects.get(requisition=planned.requisition, slug="case")
    slot.shadow_count, slot.reverse_shadow_count = 2, 1
    slot.save()
    record = TrainingRecord.objects.create(person=trainee, plan_slot=slot)
    assert state_of(record) == State.SHADOWING

    sit_in(slot, trainee)
    sit_in(slot, trainee, status=Interview.Status.CANCELLED)  # never held: does not count
    sit_in(slot, trainee, status=Interview.Status.SCHEDULED)  # not held yet
    assert state_of(record) == State.SHADOWING
    sit_in(slot, trainee)
    assert state_of(record) == State.REVERSE_SHADOWING
    sit_in(slot, trainee)
    assert state_of(record) == State.QUALIFIED

    # the counts are the slot's: raise them and the trainee is back to reverse-shadowing
    PlanSlot.objects.filter(pk=slot.pk).update(reverse_shadow_count=3)
    assert state_of(record) == State.REVERSE_SHADOWING
    # a recruiter's word wins over the count
    record.state_set = State.QUALIFIED
    record.save()
    assert state_of(record) == State.QUALIFIED
    [training] = profiles.training_records(pk=record.pk)
    assert training.progress == "Qualified (set by a recruiter) on “Portfolio case”"


def test_a_trainee_is_not_proposed_to_hold_their_slot_until_qualified(
    planned, recruiter, panel, trainee
):
    case = PlanSlot.objects.get(requisition=planned.requisition, slug="case")
    case.pool.remove(panel["dee"])
    case.pool.add(panel["ava"])  # Ava, who is in training on it: nobody else may hold it
    record = TrainingRecord.objects.create(person=panel["ava"], plan_slot=case)

    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())
    assert result.proposals == []

    record.state_set = State.QUALIFIED
    record.save()
    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())
    assert result.proposals, result.problems


def test_a_booking_refuses_a_trainee_as_the_interviewer(planned, recruiter, panel):
    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())
    _, choices = result.proposals[0]
    case = PlanSlot.objects.get(requisition=planned.requisition, slug="case")
    TrainingRecord.objects.create(person=panel["ava"], plan_slot=case)

    with pytest.raises(Invalid) as refused:
        proposals.loop_book(loop=planned, by=recruiter, choices=choices)

    assert "Ava is still in training on “Portfolio case”." in str(refused.value)
    assert not planned.interviews.exists()


# --- Their scorecards ----------------------------------------------------------------------


def verdict(client, loop) -> str:
    page = unescape(client.get(f"/manager/loops/{loop.pk}/").content.decode())
    found = re.search(r'<h2 id="verdict-heading">(.*?)</h2>', page)
    assert found, page[:500]
    return found[1]


def test_a_trainees_harsh_scorecard_leaves_the_hiring_managers_summary_unchanged(
    client, world, interviewer, other_interviewer, hiring_manager, trainee
):
    # the panel is positive; Tia sits in on the first interview as a trainee
    world.interview.interviewers.add(trainee)
    world.interview.trainees.add(trainee)
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=4)
    before = summaries.loop_summary_compute(loop_id=world.loop.pk)
    client.force_login(hiring_manager)
    seen_before = verdict(client, world.loop)

    # she writes a harsh scorecard: it is kept...
    submit(world.interview, trainee, rating=1, overall_recommendation="strong_no")
    assert Scorecard.objects.get(interviewer=trainee).status == Scorecard.Status.SUBMITTED
    after = summaries.loop_summary_compute(loop_id=world.loop.pk)

    # ...but what the hiring manager reads is unchanged
    assert verdict(client, world.loop) == seen_before
    assert (after.recommendation, after.raw_score) == (before.recommendation, before.raw_score)
    assert seen_before == "Recommendation: Strong hire"

    # (had she sat as an interviewer, it would have counted)
    world.interview.trainees.remove(trainee)
    counted = summaries.loop_summary_compute(loop_id=world.loop.pk)
    assert (counted.recommendation, counted.raw_score) != (before.recommendation, before.raw_score)


def test_a_trainees_ratings_never_feed_the_calibration(
    world, interviewer, other_interviewer, trainee
):
    world.interview.interviewers.add(trainee)
    world.interview.trainees.add(trainee)
    submit(world.interview, interviewer, rating=3)
    submit(world.interview, trainee, rating=1)
    submit(world.other_interview, other_interviewer, rating=4)

    run = summaries.calibration_refit()

    fitted = set(InterviewerCalibration.objects.values_list("interviewer_id", flat=True))
    assert {interviewer.pk, other_interviewer.pk} <= fitted
    assert trainee.pk not in fitted
    assert run.n_ratings == 4  # two dimensions from each of the two interviewers


# --- In the admin ----------------------------------------------------------------------------


def test_a_trainee_joins_an_interview_on_its_panel_and_opens_its_kit(
    client, planned, recruiter, panel, trainee
):
    case = PlanSlot.objects.get(requisition=planned.requisition, slug="case")
    TrainingRecord.objects.create(person=trainee, plan_slot=case)
    interview: Interview = InterviewFactory(
        loop=planned, interviewers=[panel["ava"]], plan_slot=case
    )
    url = f"/admin/hiring/interview/{interview.pk}/change/"
    client.force_login(recruiter)
    form = client.get(url).content.decode()
    assert "Tia Trainee" in form  # offered: in training on this slot

    def post(panelists: list[User]) -> str:
        local = interview.starts_at.astimezone(ZoneInfo(interview.time_zone))
        data = {
            "plan_slot": str(case.pk),
            "title": interview.title,
            "starts_at_0": f"{local:%Y-%m-%d}",
            "starts_at_1": f"{local:%H:%M}",
            "ends_at_0": f"{local:%Y-%m-%d}",
            "ends_at_1": f"{(local + (interview.ends_at - interview.starts_at)):%H:%M}",
            "time_zone": interview.time_zone,
            "interviewers": [str(p.pk) for p in panelists],
            "trainees": [str(trainee.pk)],
            "focus_dimensions": [str(d.pk) for d in interview.focus_dimensions.all()],
        }
        return unescape(client.post(url, data).content.decode())

    refused = post([panel["ava"]])
    assert "A trainee sits on the panel: add Tia Trainee to the interviewers too." in refused
    assert not interview.trainees.exists()

    post([panel["ava"], trainee])
    assert list(interview.trainees.all()) == [trainee]
    client.force_login(trainee)
    assert client.get(f"/interviews/{interview.pk}/kit/").status_code == 200


def test_the_loop_page_shows_who_is_in_training_on_each_slot(client, planned, recruiter, trainee):
    case = PlanSlot.objects.get(requisition=planned.requisition, slug="case")
    TrainingRecord.objects.create(person=trainee, plan_slot=case)
    client.force_login(recruiter)

    page = unescape(client.get(f"/admin/hiring/loop/{planned.pk}/change/").content.decode())

    assert "In training: Tia Trainee: shadowing" in page


def test_a_recruiter_trains_people_only_on_their_requisitions_plans(
    client, planned, recruiter, trainee
):
    case = PlanSlot.objects.get(requisition=planned.requisition, slug="case")
    other_slot = PlanSlot.objects.create(
        requisition=InterviewFactory().loop.requisition, slug="o", title="Other", minutes=30
    )
    theirs = TrainingRecord.objects.create(person=trainee, plan_slot=other_slot)
    case.pool.add(trainee)  # a trainee comes from the slot's pool
    client.force_login(recruiter)

    response = client.post(
        "/admin/hiring/trainingrecord/add/",
        {"person": str(trainee.pk), "plan_slot": str(case.pk), "state_set": ""},
    )
    assert response.status_code == 302
    assert TrainingRecord.objects.filter(plan_slot=case, person=trainee).exists()
    refused = client.post(
        "/admin/hiring/trainingrecord/add/",
        {"person": str(trainee.pk), "plan_slot": str(other_slot.pk), "state_set": "qualified"},
    )
    assert refused.status_code == 200  # the form: that slot is not a choice
    listing = client.get("/admin/hiring/trainingrecord/").content.decode()
    assert "Portfolio case" in listing
    assert f"/{theirs.pk}/change/" not in listing


# --- The demo --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_has_profiles_and_a_trainee_midway_on_the_marketplace_plan(client, demo):
    from scorecards.demo import RECRUITER

    recruiter = User.objects.get(username=RECRUITER.username)
    client.force_login(recruiter)

    page = unescape(client.get("/admin/hiring/schedulingprofile/load/").content.decode())

    assert "Reverse-shadowing (set by a recruiter) on “Leadership and values”" in page
    assert "2 a day, 6 a week" in page  # Iris
    assert "1 a day, 4 a week" in page  # Lena
    loop = recruiter.recruited_requisitions.get(title="VP of Product, Marketplace").loops.first()
    assert loop is not None
    plan = unescape(client.get(f"/admin/hiring/loop/{loop.pk}/change/").content.decode())
    assert "In training: Marco Rossi: reverse-shadowing" in plan
    # and "Propose schedules" still places its loops, never with Marco holding his slot
    first = timezone.localdate() + timedelta(days=1)
    windows = proposals.candidate_windows(first, 7, time(9), time(17), "Europe/London")
    result = proposals.loop_propose(loop=loop, by=recruiter, windows=windows)
    assert result.proposals, result.problems
    holders = {
        (p.slot.title, p.interviewer.name)
        for proposal, _ in result.proposals
        for p in proposal.placements
    }
    assert ("Leadership and values", "Marco Rossi") not in holders


# --- Trainees proposed as extra panelists ------------------------------------------------------


def chat_choices(result: proposals.LoopProposals) -> list[proposals.Choice]:
    chat = PlanSlot.objects.get(slug="chat")
    return [c for _, choices in result.proposals for c in choices if c.slot_id == chat.pk]


def test_a_free_trainee_sits_in_on_the_proposed_interview_and_is_booked_with_it(
    planned, recruiter, trainee
):
    chat = PlanSlot.objects.get(requisition=planned.requisition, slug="chat")
    TrainingRecord.objects.create(person=trainee, plan_slot=chat)

    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())

    assert result.proposals, result.problems
    assert {c.trainee_id for c in chat_choices(result)} == {trainee.pk}
    proposal, choices = result.proposals[0]
    assert "Tia Trainee sits in on “Values chat” as a trainee (shadowing)." in proposal.reasons
    # the page's round trip keeps the trainee
    choices = [proposals.Choice.decode(c.encode()) for c in choices]
    proposals.loop_book(loop=planned, by=recruiter, choices=choices)
    booked = planned.interviews.get(plan_slot=chat)
    assert list(booked.trainees.all()) == [trainee]
    assert trainee in booked.interviewers.all()


def test_a_busy_trainee_never_stops_a_schedule(planned, recruiter, panel, trainee):
    chat = PlanSlot.objects.get(requisition=planned.requisition, slug="chat")
    without = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())
    TrainingRecord.objects.create(person=trainee, plan_slot=chat)
    InterviewFactory(interviewers=[trainee], starts_at=at(8), ends_at=at(18))  # all day

    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())

    assert without.proposals
    assert len(result.proposals) == len(without.proposals)  # the same schedules to choose from
    assert all(c.trainee_id is None for c in chat_choices(result))


def test_a_trainee_busy_since_the_proposal_is_left_out_of_the_booking(planned, recruiter, trainee):
    chat = PlanSlot.objects.get(requisition=planned.requisition, slug="chat")
    TrainingRecord.objects.create(person=trainee, plan_slot=chat)
    _, choices = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day()).proposals[0]
    InterviewFactory(interviewers=[trainee], starts_at=at(8), ends_at=at(18))

    created = proposals.loop_book(loop=planned, by=recruiter, choices=choices)

    assert len(created) == 3  # booked all the same
    assert not Interview.trainees.through.objects.filter(interview__in=created).exists()
