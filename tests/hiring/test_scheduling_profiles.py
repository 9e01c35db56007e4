"""Interviewers' scheduling profiles (issue 17): meeting hours per weekday in their own time
zone, their own limits per day and week, and what they are qualified for. The proposer keeps
to them, a booking refuses a placement over a limit in words, recruiters edit the profiles
of the people their requisitions schedule (and nobody else's), and the load view shows each
person's week against their limits in a fixed number of queries without writing."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from hiring.errors import Invalid
from hiring.models import (
    CaseExercise,
    Dimension,
    Interview,
    Loop,
    PlanSlot,
    SchedulingProfile,
    TrainingRecord,
    User,
)
from hiring.scheduling import proposals
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory, UserFactory
from tests.hiring.test_proposals import DAY, at, one_day, panel, planned

__all__ = ["panel", "planned"]  # fixtures used by the tests below

NEW_YORK = ZoneInfo("America/New_York")


def case_starts(result: proposals.LoopProposals) -> list[datetime]:
    return [
        p.starts_at
        for proposal, _ in result.proposals
        for p in proposal.placements
        if p.slot.title == "Portfolio case"
    ]


def case_holders(result: proposals.LoopProposals) -> set[str]:
    return {
        p.interviewer.name
        for proposal, _ in result.proposals
        for p in proposal.placements
        if p.slot.title == "Portfolio case"
    }


# --- Meeting hours per weekday, in the person's own zone ------------------------------------


def test_the_proposer_keeps_to_a_persons_own_hours_on_that_weekday(planned, recruiter, panel):
    # Ava (the case's only known pool member) takes interviews on Tuesdays from 13:00 only
    SchedulingProfile.objects.create(user=panel["ava"], tue_start=time(13), tue_end=time(17))

    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())

    assert result.proposals, result.problems
    assert all(start >= at(13) for start in case_starts(result))


def test_a_day_off_leaves_the_person_out_that_day(planned, recruiter, panel):
    SchedulingProfile.objects.create(user=panel["ava"], tue_start=None, tue_end=None)

    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())

    assert result.proposals == []  # DAY is a Tuesday, and only Ava could hold the case
    assert result.problems


def test_meeting_hours_are_read_in_the_persons_own_time_zone(planned, recruiter, panel):
    # Ava lives in New York: 09:00-17:00 there is 14:00-22:00 in London (4 March: 5 hours)
    panel["ava"].time_zone = "America/New_York"
    panel["ava"].save()
    SchedulingProfile.objects.create(user=panel["ava"])

    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())

    assert result.proposals, result.problems
    for start in case_starts(result):
        assert start.astimezone(NEW_YORK).time() >= time(9)
        assert start >= at(14)


# --- Limits --------------------------------------------------------------------------------


def other_interview(person: User, hour: float) -> Interview:
    """An interview of ``person`` on DAY in another requisition's loop."""
    return InterviewFactory(
        loop=LoopFactory(requisition=RequisitionFactory()),
        interviewers=[person],
        starts_at=at(hour),
        ends_at=at(hour + 0.5),
    )


def test_the_proposer_keeps_to_a_persons_own_day_limit(planned, recruiter, panel):
    other_interview(panel["ava"], 9)
    SchedulingProfile.objects.create(user=panel["ava"], day_limit=2)
    assert proposals.loop_propose(loop=planned, by=recruiter, windows=one_day()).proposals

    SchedulingProfile.objects.filter(user=panel["ava"]).update(day_limit=1)
    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())

    assert result.proposals == []  # Ava has had her one interview of the day


def test_a_booking_over_a_limit_is_refused_in_words_and_writes_nothing(planned, recruiter, panel):
    SchedulingProfile.objects.create(user=panel["ava"], day_limit=1)
    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())
    _, choices = result.proposals[0]
    # meanwhile Ava was booked elsewhere that day, at a time clear of the proposal
    taken = [(c.starts_at, c.starts_at + timedelta(minutes=90)) for c in choices]
    hour = next(
        h for h in (9, 12, 15.5, 16.5) if all(not (s < at(h + 0.5) and at(h) < e) for s, e in taken)
    )
    other_interview(panel["ava"], hour)

    with pytest.raises(Invalid) as refused:
        proposals.loop_book(loop=planned, by=recruiter, choices=choices)

    assert "Ava has 1 interview on Tue 04 Mar already: their limit is 1 a day." in str(
        refused.value
    )
    assert not planned.interviews.exists()


def test_a_week_limit_is_refused_at_booking_too(planned, recruiter, panel):
    SchedulingProfile.objects.create(user=panel["ava"], day_limit=2, week_limit=2)
    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())
    _, choices = result.proposals[0]
    for shift in (-1, 1):  # meanwhile, one on the Monday and one on the Wednesday
        InterviewFactory(
            loop=LoopFactory(requisition=RequisitionFactory()),
            interviewers=[panel["ava"]],
            starts_at=at(10) + timedelta(days=shift),
            ends_at=at(10.5) + timedelta(days=shift),
        )

    with pytest.raises(Invalid) as refused:
        proposals.loop_book(loop=planned, by=recruiter, choices=choices)

    assert "their limit is 2 a week" in str(refused.value)


# --- Qualifications ------------------------------------------------------------------------


def test_a_slot_takes_only_people_qualified_for_its_focus_and_case(planned, recruiter, panel):
    case = PlanSlot.objects.get(requisition=planned.requisition, slug="case")
    profile = planned.requisition.profile
    strategy, other = Dimension.objects.filter(profile=profile).order_by("order")[:2]
    case.focus_dimensions.set([strategy])
    eli = UserFactory(username="eli", first_name="Eli", last_name="", time_zone="Europe/London")
    case.pool.add(eli)
    for shift in (-1, 1, 2):  # Eli is busier this week: left to itself, the proposer prefers Ava
        InterviewFactory(
            loop=LoopFactory(requisition=RequisitionFactory()),
            interviewers=[eli],
            starts_at=at(10) + timedelta(days=shift),
            ends_at=at(11) + timedelta(days=shift),
        )
    # Ava assesses only the other dimension; Eli has a profile naming nothing: qualified for all
    SchedulingProfile.objects.create(user=panel["ava"]).qualified_dimensions.set([other])
    SchedulingProfile.objects.create(user=eli)

    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())

    assert result.proposals, result.problems
    assert case_holders(result) == {"Eli"}

    # a case exercise she is not qualified for keeps her off too, even qualified for the focus
    SchedulingProfile.objects.get(user=panel["ava"]).qualified_dimensions.set([strategy])
    exercise = CaseExercise.objects.filter(profile=profile).first()
    assert exercise is not None
    case.case_exercise = exercise
    case.save()
    ava = SchedulingProfile.objects.get(user=panel["ava"])
    ava.qualified_cases.set(CaseExercise.objects.filter(profile=profile).exclude(pk=exercise.pk))
    assert case_holders(proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())) == {
        "Eli"
    }
    ava.qualified_cases.set([exercise])  # qualified now: with Eli away, she holds it
    case.pool.remove(eli)
    assert case_holders(proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())) == {
        "Ava"
    }


def test_a_booking_refuses_an_unqualified_interviewer(planned, recruiter, panel):
    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())
    _, choices = result.proposals[0]
    case = PlanSlot.objects.get(requisition=planned.requisition, slug="case")
    strategy, other = Dimension.objects.filter(profile=planned.requisition.profile)[:2]
    case.focus_dimensions.set([strategy])
    SchedulingProfile.objects.create(user=panel["ava"]).qualified_dimensions.set([other])

    with pytest.raises(Invalid) as refused:
        proposals.loop_book(loop=planned, by=recruiter, choices=choices)

    assert "Ava is not qualified for the focus or case of “Portfolio case”." in str(refused.value)


# --- Validation ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_profile_says_what_is_wrong_with_it_in_words():
    person = UserFactory()
    profile = SchedulingProfile(
        user=person,
        mon_start=time(17),
        mon_end=time(9),
        tue_start=time(9),
        tue_end=None,
        day_limit=5,
        week_limit=3,
    )
    with pytest.raises(ValidationError) as wrong:
        profile.full_clean()
    errors = wrong.value.message_dict
    assert errors["mon_end"] == ["Monday: the meeting hours must end after they start."]
    assert errors["tue_end"] == ["Tuesday: give both times, or neither for a day off."]
    assert errors["day_limit"] == ["The day's limit cannot exceed the week's."]

    profile = SchedulingProfile(user=person, day_limit=13, week_limit=61)
    with pytest.raises(ValidationError) as wrong:
        profile.full_clean()
    assert wrong.value.message_dict["day_limit"] == ["At most 12 interviews a day."]
    assert wrong.value.message_dict["week_limit"] == ["At most 60 interviews a week."]


@pytest.mark.django_db
def test_the_database_refuses_hours_that_end_before_they_start():
    with pytest.raises(IntegrityError), transaction.atomic():
        SchedulingProfile.objects.create(user=UserFactory(), wed_start=time(12), wed_end=time(8))


@pytest.mark.django_db
def test_a_new_profile_starts_from_the_installations_defaults(settings):
    profile = SchedulingProfile.objects.create(user=UserFactory())
    assert profile.hours(0) == (time(9), time(17))  # SCHEDULING_MEETING_HOURS
    assert profile.hours(5) is None  # weekends off
    assert (profile.day_limit, profile.week_limit) == (
        settings.SCHEDULING_DAY_LIMIT,
        settings.SCHEDULING_WEEK_LIMIT,
    )


# --- Who edits them ------------------------------------------------------------------------


def profile_url(profile: SchedulingProfile) -> str:
    return f"/admin/hiring/schedulingprofile/{profile.pk}/change/"


def test_a_recruiter_edits_the_profiles_of_their_pools_and_panels_only(
    client, planned, recruiter, panel, world, interviewer
):
    # Ava is in a pool of the recruiter's plan, Iris on a panel of their loop; Zed on neither
    zed = UserFactory(username="zed")
    InterviewFactory(loop=LoopFactory(requisition=RequisitionFactory()), interviewers=[zed])
    ava = SchedulingProfile.objects.create(user=panel["ava"])
    iris = SchedulingProfile.objects.create(user=interviewer)
    theirs = SchedulingProfile.objects.create(user=zed)
    client.force_login(recruiter)

    listing = client.get("/admin/hiring/schedulingprofile/").content.decode()
    assert "Ava" in listing
    assert interviewer.display_name in listing
    assert client.get(profile_url(theirs)).status_code in (302, 404)

    response = client.post(profile_url(ava), form_data(ava, tue_start="10:00", day_limit="1"))
    assert response.status_code == 302, unescape(response.content.decode())
    ava.refresh_from_db()
    assert (ava.tue_start, ava.day_limit) == (time(10), 1)
    form = client.get(profile_url(iris))
    assert form.status_code == 200
    assert f"Communication ({planned.requisition.profile.name})" in unescape(form.content.decode())
    assert client.post(profile_url(theirs), form_data(theirs, day_limit="0")).status_code in (
        302,
        403,
        404,
    )
    theirs.refresh_from_db()
    assert theirs.day_limit != 0


def test_the_profiles_person_is_fixed_once_saved_and_an_interviewer_edits_none(
    client, planned, recruiter, panel, interviewer
):
    ava = SchedulingProfile.objects.create(user=panel["ava"])
    client.force_login(recruiter)
    client.post(profile_url(ava), {**form_data(ava), "user": str(panel["ben"].pk)})
    ava.refresh_from_db()
    assert ava.user_id == panel["ava"].pk

    # An interviewer agrees their hours with their recruiter: the admin is not theirs
    mine = SchedulingProfile.objects.create(user=interviewer)
    client.force_login(interviewer)
    response = client.post(profile_url(mine), form_data(mine, day_limit="9"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    mine.refresh_from_db()
    assert mine.day_limit != 9


def form_data(profile: SchedulingProfile, **changes: str) -> dict[str, str]:
    data = {}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        for half in ("start", "end"):
            value = getattr(profile, f"{day}_{half}")
            data[f"{day}_{half}"] = value.strftime("%H:%M") if value else ""
    data.update(day_limit=str(profile.day_limit), week_limit=str(profile.week_limit))
    data.update(changes)
    return data


def test_a_recruiter_edits_pools_only_on_their_own_requisitions_plans(
    client, planned, recruiter, panel
):
    other = RequisitionFactory()
    theirs = PlanSlot.objects.create(requisition=other, slug="x", title="Theirs", minutes=30)
    client.force_login(recruiter)

    page = client.get(f"/admin/hiring/requisition/{planned.requisition.pk}/change/")
    assert page.status_code == 200
    assert "Portfolio case" in page.content.decode()
    assert client.get(f"/admin/hiring/requisition/{other.pk}/change/").status_code in (302, 404)
    assert client.post(f"/admin/hiring/requisition/{other.pk}/change/", {}).status_code in (
        302,
        403,
        404,
    )
    assert not theirs.pool.exists()


# --- The load view -------------------------------------------------------------------------

LOAD = "/admin/hiring/schedulingprofile/load/"


def test_the_load_view_shows_the_week_against_limits_in_words(client, planned, recruiter, panel):
    SchedulingProfile.objects.create(user=panel["ava"], day_limit=1)
    other_interview(panel["ava"], 9)
    other_interview(panel["ava"], 11)
    client.force_login(recruiter)

    page = unescape(client.get(LOAD, {"week": DAY.isoformat()}).content.decode())

    assert "Week of Mon 03 Mar 2031" in page
    assert "2 <strong>(over the day's limit of 1 by 1)</strong>" in page
    assert "1 a day, " in page
    assert f"?week={DAY - timedelta(days=8):%Y-%m-%d}" in page  # the Monday before
    assert f"?week={DAY + timedelta(days=6):%Y-%m-%d}" in page  # the Monday after
    # a week later nothing is over
    later = unescape(client.get(LOAD, {"week": "2031-03-12"}).content.decode())
    assert "over the" not in later


def test_the_load_view_is_linked_from_the_propose_page(client, planned, recruiter):
    client.force_login(recruiter)
    page = client.get(f"/admin/hiring/loop/{planned.pk}/propose/").content.decode()
    assert f'href="{LOAD}" id="interviewer-load"' in page


def test_the_load_view_shows_only_the_recruiters_people(
    client, planned, recruiter, panel, interviewer
):
    zed = UserFactory(username="zed", first_name="Zed", last_name="Other")
    other_req = RequisitionFactory()
    slot = PlanSlot.objects.create(requisition=other_req, slug="z", title="Z", minutes=30)
    slot.pool.add(zed)
    client.force_login(recruiter)

    page = client.get(LOAD, {"week": DAY.isoformat()}).content.decode()

    assert "Ava" in page
    assert "Zed Other" not in page
    client.force_login(interviewer)
    assert client.get(LOAD).status_code == 302  # not staff: the admin sends them to sign in


def grow(planned: Loop, n: int) -> None:
    """``n`` more pool members, each with a profile, two interviews this week and training."""
    slot = PlanSlot.objects.get(requisition=planned.requisition, slug="chat")
    for k in range(n):
        person = UserFactory(time_zone="Asia/Tokyo")
        slot.pool.add(person)
        SchedulingProfile.objects.create(user=person)
        TrainingRecord.objects.create(person=person, plan_slot=slot)
        for hour in (10, 14):
            InterviewFactory(
                loop=planned,
                interviewers=[person],
                starts_at=at(hour + k % 3),
                ends_at=at(hour + k % 3 + 1),
            )


def test_the_load_view_reads_in_constant_queries_and_never_writes(
    client, planned, recruiter, panel, django_assert_num_queries
):
    client.force_login(recruiter)
    grow(planned, 1)
    client.get(LOAD, {"week": DAY.isoformat()})  # warm the process's caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(LOAD, {"week": DAY.isoformat()}).status_code == 200
    grow(planned, 12)
    with django_assert_num_queries(len(small)) as large:
        page = client.get(LOAD, {"week": DAY.isoformat()}).content.decode()
    assert page.count("Shadowing on") == 13
    writes = [
        q["sql"]
        for q in [*small.captured_queries, *large.captured_queries]
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
