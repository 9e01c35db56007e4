"""DESIGN §3.1: the admin refuses double-bookings, overlapping slots and a hiring manager on
a panel their profile forbids; it warns about interviews without focus and must-haves that no
interview covers. The rules are pure functions (``loop_problems``), tested first on their own,
then through the admin: a new loop's page (its interviews typed together) and one
interview's own page (the loop page's schedule links there)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages

from hiring.models import Interview
from hiring.scheduling.conflicts import Booking, Rules, Slot, loop_problems
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory

T0 = datetime(2031, 12, 2, 9, 0, tzinfo=UTC)  # a Tuesday, well in the future
HOUR = timedelta(hours=1)
NAMES = {1: "Iris", 2: "Jonas", 3: "Hugo"}


def slot(label, start, *, people=(1,), dims=(10,), active=True):
    return Slot(
        label=label,
        starts_at=start,
        ends_at=start + HOUR,
        interviewer_ids=frozenset(people),
        dimension_ids=frozenset(dims),
        active=active,
    )


def problems(slots, bookings=(), rules=None):
    return loop_problems(
        slots=slots, bookings=bookings, rules=rules or Rules(must_have={}), names=NAMES
    )


# --- The pure rules -----------------------------------------------------------------------


def test_a_clean_loop_has_no_problems():
    assert problems([slot("A", T0), slot("B", T0 + HOUR, people=(2,))]) == []


def test_an_interviewer_double_booked_in_another_loop_blocks_naming_who_and_when():
    booking = Booking(1, T0 + HOUR / 2, T0 + 2 * HOUR, "Case with Ada")
    [problem] = problems([slot("A", T0)], [booking])
    assert problem.blocking
    assert "Iris is double-booked" in problem.message
    assert "Case with Ada" in problem.message
    assert "09:00" in problem.message


def test_back_to_back_is_not_a_double_booking():
    assert problems([slot("A", T0)], [Booking(1, T0 + HOUR, T0 + 2 * HOUR, "x")]) == []


def test_overlapping_slots_for_the_candidate_block():
    [problem] = problems([slot("A", T0), slot("B", T0 + HOUR / 2, people=(2,))])
    assert problem.blocking
    assert "two interviews at once" in problem.message


def test_cancelled_slots_hold_no_time():
    assert problems([slot("A", T0), slot("B", T0, people=(2,), active=False)]) == []


def test_an_interview_without_focus_is_a_warning():
    [problem] = problems([slot("A", T0, dims=())])
    assert not problem.blocking
    assert "no focus dimension" in problem.message


def test_a_must_have_no_interview_covers_is_a_warning():
    [problem] = problems([slot("A", T0)], rules=Rules(must_have={10: "Strategy", 11: "People"}))
    assert not problem.blocking
    assert "People" in problem.message


def test_the_hiring_manager_on_a_panel_blocks_only_when_the_profile_forbids_it():
    slots = [slot("A", T0, people=(3,))]
    assert problems(slots, rules=Rules(must_have={}, hiring_manager_id=3)) == []
    [problem] = problems(
        slots,
        rules=Rules(must_have={}, hiring_manager_id=3, hiring_manager_may_interview=False),
    )
    assert problem.blocking
    assert "Hugo is the hiring manager" in problem.message


def test_blocking_problems_come_first():
    found = problems([slot("A", T0, dims=()), slot("B", T0, people=(2,))])
    assert [p.blocking for p in found] == [True, False]


# --- Through the admin --------------------------------------------------------------------

pytestmark = pytest.mark.django_db


# --- Through the admin: a new loop's interviews, and one interview's own page ----------------

ADD_INTERVIEW = "/admin/hiring/interview/add/"


def fields(prefix, interview):
    starts_at = interview["starts_at"]
    ends_at = interview.get("ends_at", starts_at + HOUR)
    return {
        prefix + "title": interview["title"],
        prefix + "starts_at_0": starts_at.strftime("%Y-%m-%d"),
        prefix + "starts_at_1": starts_at.strftime("%H:%M:%S"),
        prefix + "ends_at_0": ends_at.strftime("%Y-%m-%d"),
        prefix + "ends_at_1": ends_at.strftime("%H:%M:%S"),
        prefix + "time_zone": interview.get("time_zone", "UTC"),
        prefix + "location": interview.get("location", ""),
        prefix + "video_url": "",
        prefix + "interviewers": [u.pk for u in interview["interviewers"]],
        prefix + "focus_dimensions": [d.pk for d in interview.get("focus", [])],
        prefix + "case_exercise": "",
    }


def interview_data(loop, interview):
    """One interview's own page (``/admin/hiring/interview/add/?loop=`` or its change page)."""
    return {"loop": loop.pk, **fields("", interview)}


def new_loop_data(candidate, requisition, interviews):
    """The add page of a loop, with its interviews typed in the same form."""
    data = {
        "candidate": candidate.pk,
        "requisition": requisition.pk,
        "interviews-TOTAL_FORMS": len(interviews),
        "interviews-INITIAL_FORMS": 0,
        "interviews-MIN_NUM_FORMS": 0,
        "interviews-MAX_NUM_FORMS": 1000,
    }
    for n, interview in enumerate(interviews):
        data.update({f"interviews-{n}-id": "", **fields(f"interviews-{n}-", interview)})
    return data


@pytest.fixture
def page(client, world, recruiter):
    # The world's two interviews share an hour: they follow each other here, as a loop that
    # passed these checks would have them (the loop's saved interviews count on every save).
    later = world.interview.ends_at
    Interview.objects.filter(pk=world.other_interview.pk).update(
        starts_at=later, ends_at=later + HOUR
    )
    client.force_login(recruiter)
    return f"{ADD_INTERVIEW}?loop={world.loop.pk}"


def dims(world, *slugs):
    return list(world.requisition.profile.dimensions.filter(slug__in=slugs))


def test_the_admin_refuses_a_double_booking_with_who_and_when(client, page, world, interviewer):
    # given the interviewer is busy in another loop on 2 December, 09:00-10:00 UTC
    InterviewFactory(
        loop=LoopFactory(), title="Elsewhere", interviewers=[interviewer], starts_at=T0
    )
    # when the recruiter books them at 09:30 in this loop
    data = interview_data(
        world.loop,
        {
            "title": "Strategy",
            "starts_at": T0 + HOUR / 2,
            "interviewers": [interviewer],
            "focus": dims(world, "product-strategy"),
        },
    )
    response = client.post(page, data)
    # then the page comes back with the error and nothing is saved
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{interviewer.display_name} is double-booked" in html
    assert "Tue 02 Dec 2031 09:30" in html
    assert not world.loop.interviews.filter(title="Strategy").exists()


def test_editing_an_interview_is_refused_when_it_double_books(client, page, world, interviewer):
    InterviewFactory(
        loop=LoopFactory(), title="Elsewhere", interviewers=[interviewer], starts_at=T0
    )
    before = world.interview.starts_at
    data = interview_data(
        world.loop,
        {"title": world.interview.title, "starts_at": T0, "interviewers": [interviewer]},
    )
    html = client.post(f"/admin/hiring/interview/{world.interview.pk}/change/", data)
    assert f"{interviewer.display_name} is double-booked" in html.content.decode()
    world.interview.refresh_from_db()
    assert world.interview.starts_at == before


def test_the_admin_refuses_overlapping_slots_for_the_candidate(
    client, page, world, interviewer, other_interviewer, recruiter
):
    # on one interview's page: the loop's saved interviews count
    Interview.objects.filter(pk=world.interview.pk).update(starts_at=T0, ends_at=T0 + HOUR)
    data = interview_data(
        world.loop, {"title": "B", "starts_at": T0 + HOUR / 2, "interviewers": [other_interviewer]}
    )
    assert "cannot be in two interviews at once" in client.post(page, data).content.decode()
    # on a new loop's page: the interviews typed together count
    requisition = RequisitionFactory(recruiters=[recruiter])
    data = new_loop_data(
        world.loop.candidate,
        requisition,
        [
            {"title": "A", "starts_at": T0, "interviewers": [interviewer]},
            {"title": "B", "starts_at": T0 + HOUR / 2, "interviewers": [other_interviewer]},
        ],
    )
    html = client.post("/admin/hiring/loop/add/", data).content.decode()
    assert "cannot be in two interviews at once" in html
    assert not Interview.objects.filter(title__in=["A", "B"]).exists()


def test_the_admin_refuses_the_hiring_manager_when_the_profile_forbids_it(
    client, page, world, hiring_manager
):
    profile = world.requisition.profile
    profile.hiring_manager_may_interview = False
    profile.save(update_fields=["hiring_manager_may_interview"])
    data = interview_data(
        world.loop, {"title": "HM chat", "starts_at": T0, "interviewers": [hiring_manager]}
    )
    html = client.post(page, data).content.decode()
    assert "is the hiring manager" in html
    assert not world.loop.interviews.filter(title="HM chat").exists()


def test_warnings_show_after_the_save(client, page, world, interviewer, recruiter):
    # given the other interview cancelled (with a reason, as the Interview actions do)
    from hiring import services

    services.interview_set_status(
        interview=world.other_interview, status="cancelled", by=recruiter, reason="Moved."
    )
    # when the recruiter saves the first one with no focus, the must-haves left uncovered
    data = interview_data(
        world.loop,
        {"title": world.interview.title, "starts_at": T0, "interviewers": [interviewer]},
    )
    response = client.post(f"/admin/hiring/interview/{world.interview.pk}/change/", data)
    # then it saves, back on the loop page, with the warnings
    assert response.status_code == 302
    assert response["Location"] == f"/admin/hiring/loop/{world.loop.pk}/change/"
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("has no focus dimension" in text for text in texts)
    must_haves = world.requisition.profile.dimensions.filter(must_have=True)
    for dimension in must_haves:
        assert any(f"must-have dimension “{dimension.name}”" in t for t in texts)
    world.interview.refresh_from_db()
    assert world.interview.starts_at == T0


def test_times_are_typed_in_the_interviews_time_zone(client, page, world, interviewer):
    local = datetime(2031, 12, 2, 9, 0)  # 09:00 in New York is 14:00 UTC
    data = interview_data(
        world.loop,
        {
            "title": "NY",
            "starts_at": local,
            "time_zone": "America/New_York",
            "interviewers": [interviewer],
            "focus": dims(world, "product-strategy"),
        },
    )
    response = client.post(page, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = world.loop.interviews.get(title="NY")
    assert saved.starts_at == datetime(2031, 12, 2, 14, 0, tzinfo=UTC)


def test_the_admin_refuses_a_dimension_of_another_profile(client, page, world, interviewer):
    from hiring.models import Dimension
    from tests.factories import RoleProfileFactory

    alien = Dimension.objects.create(
        profile=RoleProfileFactory(), name="Alien", slug="alien", meets_bar="x", excellent="y"
    )
    data = interview_data(
        world.loop,
        {"title": "Odd", "starts_at": T0, "interviewers": [interviewer], "focus": [alien]},
    )
    response = client.post(page, data)
    assert response.status_code == 200
    assert not world.loop.interviews.filter(title="Odd").exists()
