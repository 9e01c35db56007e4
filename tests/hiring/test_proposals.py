"""Proposed schedules on the loop page: the plan's open slots placed with free, eligible
interviewers inside the candidate's availability (an unknown calendar is never free), shown
side by side without writing anything, and one booked in a click, all or none, with the
interviewers locked so two bookings of the same person at the same time cannot both land."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hiring.errors import Invalid
from hiring.models import BusyBlock, CalendarSource, Interview, Loop, PlanSlot, User
from hiring.scheduling import proposals
from tests.concurrency import collide
from tests.factories import CandidateFactory, InterviewFactory, LoopFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
DAY = date(2031, 3, 4)  # a Tuesday, safely in the future


def at(hour: float) -> datetime:
    return datetime.combine(DAY, time(9), tzinfo=LONDON) + timedelta(hours=hour - 9)


@pytest.fixture
def panel(db) -> dict[str, User]:
    names = ["ava", "ben", "cai", "dee"]
    return {
        name: UserFactory(
            username=name, first_name=name.title(), last_name="", time_zone="Europe/London"
        )
        for name in names
    }


@pytest.fixture
def planned(world, panel) -> Loop:
    """World's loop for a candidate in London, on a requisition with its own three-slot plan:
    a case (Ava or Dee), a conversation (Ben or Cai), and a readout after the case, the same
    day (anyone of the four). Dee's calendar has never been read: unknown."""
    requisition = world.requisition
    case = PlanSlot.objects.create(
        requisition=requisition, position=1, slug="case", title="Portfolio case", minutes=90
    )
    chat = PlanSlot.objects.create(
        requisition=requisition, position=2, slug="chat", title="Values chat", minutes=45
    )
    readout = PlanSlot.objects.create(
        requisition=requisition,
        position=3,
        slug="readout",
        title="Case readout",
        minutes=45,
        after=case,
        same_day=True,
    )
    case.pool.set([panel["ava"], panel["dee"]])
    chat.pool.set([panel["ben"], panel["cai"]])
    readout.pool.set(panel.values())
    CalendarSource.objects.create(
        owner=panel["dee"], kind=CalendarSource.Kind.ICS_FEED, name="Dee's work calendar"
    )
    loop = LoopFactory(
        requisition=requisition,
        candidate=CandidateFactory(full_name="Nia Lowe", time_zone="Europe/London"),
    )
    return loop


def one_day() -> tuple[tuple[datetime, datetime], ...]:
    return proposals.candidate_windows(DAY, 1, time(9), time(17), "Europe/London")


def test_proposals_use_free_eligible_people_and_leave_an_unknown_calendar_out(
    planned, recruiter, panel
):
    # Cai is busy (another calendar) all morning
    source = CalendarSource.objects.create(
        owner=panel["cai"], kind=CalendarSource.Kind.ICS_FEED, name="Cai's calendar"
    )
    CalendarSource.objects.filter(pk=source.pk).update(
        last_synced_at=datetime.now(tz=LONDON),
        synced_from=at(-48),
        synced_until=at(9 + 24 * 90),
    )
    BusyBlock.objects.create(user=panel["cai"], source=source, starts_at=at(9), ends_at=at(13))

    result = proposals.loop_propose(loop=planned, by=recruiter, windows=one_day())

    assert result.proposals, result.problems
    assert "Dee" in next(iter(result.left_out))  # the unknown calendar, named
    for proposal, choices in result.proposals:
        people = {p.slot.title: p.interviewer.name for p in proposal.placements}
        assert "Dee" not in people.values()
        assert people["Portfolio case"] == "Ava"  # the only other one in its pool
        if people["Values chat"] == "Cai":
            chat = next(p for p in proposal.placements if p.slot.title == "Values chat")
            assert chat.starts_at >= at(13)
        case, readout = (
            next(p for p in proposal.placements if p.slot.title == title)
            for title in ("Portfolio case", "Case readout")
        )
        assert readout.starts_at >= case.ends_at
        assert readout.starts_at.astimezone(LONDON).date() == DAY
        assert len(choices) == 3


def admin_propose(client, loop: Loop, **asked: str):
    query = {"first_day": DAY.isoformat(), "days": "1", "start": "09:00", "end": "17:00", **asked}
    return client.get(f"/admin/hiring/loop/{loop.pk}/propose/", query)


def test_the_page_proposes_without_writing_and_books_an_option_in_one_click(
    client, planned, recruiter, panel
):
    client.force_login(recruiter)
    with CaptureQueriesContext(connection) as queries:
        page = admin_propose(client, planned)
    assert page.status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    html = page.content.decode()
    assert "Option 1" in html
    assert "Left out, because their calendar is unknown" in html
    choices = page.context["options"][0]["choices"]

    booked = client.post(f"/admin/hiring/loop/{planned.pk}/propose/", {"choice": choices})

    assert booked.status_code == 302
    assert booked["Location"] == f"/admin/hiring/loop/{planned.pk}/change/"
    interviews = list(planned.interviews.order_by("starts_at"))
    assert {i.plan_slot.slug for i in interviews} == {"case", "chat", "readout"}
    assert all(i.interviewers.count() == 1 for i in interviews)
    assert all(i.time_zone == "Europe/London" for i in interviews)
    # the loop page now shows every slot placed, and offers no more proposals
    loop_page = client.get(f"/admin/hiring/loop/{planned.pk}/change/").content.decode()
    assert 'id="propose-schedules"' not in loop_page

    # booking the same option again: refused in words, nothing more written
    again = client.post(f"/admin/hiring/loop/{planned.pk}/propose/", {"choice": choices})
    assert again.status_code == 200
    assert "placed already" in again.content.decode()
    assert planned.interviews.count() == 3


def test_a_booking_whose_interviewer_got_busy_meanwhile_writes_nothing(
    client, planned, recruiter, panel, world
):
    client.force_login(recruiter)
    choices = admin_propose(client, planned).context["options"][0]["choices"]
    case = next(
        proposals.Choice.decode(c)
        for c in choices
        if c.startswith(
            str(PlanSlot.objects.get(slug="case", requisition=world.requisition).pk) + "|"
        )
    )
    # meanwhile Ava is booked elsewhere at that very time
    InterviewFactory(
        loop=LoopFactory(requisition=world.requisition),
        starts_at=case.starts_at,
        ends_at=case.starts_at + timedelta(minutes=30),
        interviewers=[panel["ava"]],
    )

    refused = client.post(f"/admin/hiring/loop/{planned.pk}/propose/", {"choice": choices})

    assert "Ava is no longer free for “Portfolio case”" in unescape(refused.content.decode())
    assert planned.interviews.count() == 0


def test_a_tampered_choice_is_refused(client, planned, recruiter, panel, world):
    client.force_login(recruiter)
    chat = PlanSlot.objects.get(slug="chat", requisition=world.requisition)
    outsider = UserFactory(username="zed")
    forged = proposals.Choice(chat.pk, outsider.pk, at(10)).encode()

    refused = client.post(f"/admin/hiring/loop/{planned.pk}/propose/", {"choice": [forged]})

    assert "is not eligible for “Values chat”" in unescape(refused.content.decode())
    garbled = client.post(f"/admin/hiring/loop/{planned.pk}/propose/", {"choice": ["x|y"]})
    assert "could not be read" in garbled.content.decode()
    assert planned.interviews.count() == 0


def test_only_the_loops_recruiters_propose_or_book(client, planned, world, interviewer):
    stranger = UserFactory(username="otto", is_staff=True)
    from django.contrib.auth.models import Group

    from hiring.roles import RECRUITERS_GROUP

    stranger.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    client.force_login(stranger)
    assert admin_propose(client, planned).status_code == 404
    assert client.post(f"/admin/hiring/loop/{planned.pk}/propose/").status_code == 404
    client.force_login(interviewer)
    assert admin_propose(client, planned).status_code == 302  # to the admin's sign-in


def test_bad_availability_is_refused_in_words(client, planned, recruiter):
    client.force_login(recruiter)
    page = admin_propose(client, planned, start="17:00", end="09:00")
    assert "The day's availability must end after it starts." in unescape(page.content.decode())
    assert page.context["result"] is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_bookings_of_the_same_interviewer_at_the_same_time_land_once(
    recruiter, hiring_manager, interviewer, other_interviewer
):
    from django.contrib.auth.models import Group

    from hiring.roles import RECRUITERS_GROUP
    from tests.factories import RequisitionFactory

    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    ava: User = UserFactory(
        username="ava", first_name="Ava", last_name="", time_zone="Europe/London"
    )
    # two requisitions (nothing shared but Ava), each with a loop and a one-slot plan
    queue: list[tuple[Loop, PlanSlot]] = []
    for title in ("VP of Product", "Head of Data"):
        requisition = RequisitionFactory(
            title=title, hiring_manager=hiring_manager, recruiters=[recruiter]
        )
        slot = PlanSlot.objects.create(
            requisition=requisition, position=1, slug="chat", title="Chat", minutes=45
        )
        slot.pool.set([ava])
        queue.append((LoopFactory(requisition=requisition), slot))

    def book(_: object) -> str:
        loop, slot = queue.pop()
        try:
            proposals.loop_book(
                loop=loop, by=recruiter, choices=[proposals.Choice(slot.pk, ava.pk, at(10))]
            )
        except Invalid as error:
            return str(error)
        return "booked"

    outcomes = collide(book, inside=(proposals, "_check_choice"))

    assert sorted(outcomes, key=len)[0] == "booked"
    assert "Ava is no longer free for “Chat”" in sorted(outcomes, key=len)[1]
    assert Interview.objects.filter(interviewers=ava).count() == 1
