"""Candidate self-booking: the recruiter sends a signed, expiring link; the candidate opens
it without signing in, sees complete schedules in their own time zone, books one (the panel's
invites and their own schedule go out), or says when they are free; the same link later
reschedules or cancels. Two candidates racing for the same interviewer get one booking."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import unescape
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hiring.delivery.notifications import deliver_due
from hiring.errors import Invalid, Refused
from hiring.models import AuditEvent, BookingLink, Interview, Loop, Notification, PlanSlot, User
from hiring.scheduling import booking, proposals
from tests.concurrency import collide
from tests.factories import CandidateFactory, LoopFactory, RequisitionFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
DAY = date(2031, 3, 4)  # a Tuesday, safely in the future


@pytest.fixture
def panel(db) -> dict[str, User]:
    return {
        name: UserFactory(
            username=name, first_name=name.title(), last_name="", time_zone="Europe/London"
        )
        for name in ("ava", "ben")
    }


@pytest.fixture
def planned(world, panel) -> Loop:
    """A loop for a London candidate whose requisition plans two slots: a case with Ava, a
    chat with Ben."""
    case = PlanSlot.objects.create(
        requisition=world.requisition, position=1, slug="case", title="Portfolio case", minutes=60
    )
    chat = PlanSlot.objects.create(
        requisition=world.requisition, position=2, slug="chat", title="Values chat", minutes=45
    )
    case.pool.set([panel["ava"]])
    chat.pool.set([panel["ben"]])
    return LoopFactory(
        requisition=world.requisition,
        candidate=CandidateFactory(
            full_name="Nia Lowe", email="nia@example.org", time_zone="Europe/London"
        ),
    )


def send(loop: Loop, by: User, days: int = 1) -> BookingLink:
    return booking.booking_link_send(loop=loop, by=by, first_day=DAY, days=days)


def path_of(link: BookingLink) -> str:
    return urlsplit(booking.link_url(link)).path


def test_the_recruiter_sends_a_link_that_arrives_by_email(client, planned, recruiter):
    client.force_login(recruiter)
    page = client.post(
        f"/admin/hiring/loop/{planned.pk}/propose/",
        {
            "action": "send_link",
            "link_first_day": DAY.isoformat(),
            "link_days": "5",
            "link_start": "10:00",
            "link_end": "16:00",
        },
    )
    assert page.status_code == 302
    link = BookingLink.objects.get(loop=planned)
    assert (link.first_day, link.last_day) == (DAY, DAY + timedelta(days=4))
    assert (link.day_start, link.day_end) == (time(10), time(16))

    deliver_due()

    [message] = [m for m in mail.outbox if m.to == ["nia@example.org"]]
    assert "Choose your interview times" in message.subject
    assert booking.link_url(link) in message.body
    # the propose page lists it
    client.force_login(recruiter)
    listed = client.get(f"/admin/hiring/loop/{planned.pk}/propose/").content.decode()
    assert "Waiting for the candidate" in listed


def test_a_new_link_replaces_the_open_one(client, planned, recruiter):
    first = send(planned, recruiter)
    second = send(planned, recruiter)

    old = client.get(path_of(first))
    assert old.status_code == 410
    assert "replaced by a newer one" in unescape(old.content.decode())
    assert client.get(path_of(second)).status_code == 200


def test_the_recruiter_withdraws_a_link_and_it_opens_nothing(client, planned, recruiter):
    link = send(planned, recruiter)
    client.force_login(recruiter)
    page = client.get(f"/admin/hiring/loop/{planned.pk}/propose/").content.decode()
    assert f'name="link" value="{link.pk}"' in page
    # when the recruiter withdraws it (twice: a double click)
    for _ in range(2):
        answer = client.post(
            f"/admin/hiring/loop/{planned.pk}/propose/",
            {"action": "withdraw_link", "link": str(link.pk)},
            follow=True,
        )
    assert "That booking link no longer worked: nothing changed." in answer.content.decode()
    link.refresh_from_db()
    assert link.status == BookingLink.Status.REVOKED
    assert AuditEvent.objects.filter(action="booking_link.withdrawn", actor=recruiter).count() == 1
    # then the candidate's page says so, and offers nothing
    candidate = Client()
    closed = candidate.get(path_of(link))
    assert closed.status_code == 410
    assert "Your recruiter withdrew this booking link" in unescape(closed.content.decode())
    # and the page no longer offers to withdraw it
    page = client.get(f"/admin/hiring/loop/{planned.pk}/propose/").content.decode()
    assert f'name="link" value="{link.pk}"' not in page


def test_only_the_loops_recruiters_withdraw_and_only_this_loops_links(
    client, planned, recruiter, interviewer, world
):
    link = send(planned, recruiter)
    with pytest.raises(Refused, match="recruiters"):
        booking.booking_link_withdraw(link=link, by=interviewer)
    client.force_login(interviewer)
    answer = client.post(
        f"/admin/hiring/loop/{planned.pk}/propose/",
        {"action": "withdraw_link", "link": str(link.pk)},
    )
    assert answer.status_code in (302, 403, 404)
    # a link of another loop, or no link at all, named on this loop's page changes nothing
    client.force_login(recruiter)
    for bad in (str(link.pk + 1000), "x", "9" * 30, ""):
        page = client.post(
            f"/admin/hiring/loop/{world.loop.pk}/propose/",
            {"action": "withdraw_link", "link": bad},
            follow=True,
        )
        assert "That booking link is not one of this loop" in unescape(page.content.decode())
    other_loop = client.post(
        f"/admin/hiring/loop/{world.loop.pk}/propose/",
        {"action": "withdraw_link", "link": str(link.pk)},
        follow=True,
    )
    assert "not one of this loop" in unescape(other_loop.content.decode())
    link.refresh_from_db()
    assert link.status == BookingLink.Status.OPEN


def test_bad_expired_and_closed_links_say_why(client, planned, recruiter):
    link = send(planned, recruiter)
    assert client.get("/book/not-a-token/").status_code == 404
    changed = path_of(link).replace(":", "x", 1)
    assert client.get(changed).status_code == 404

    BookingLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(1))
    expired = client.get(path_of(link))
    assert expired.status_code == 410
    assert "has run out" in expired.content.decode()


def test_the_page_offers_schedules_in_the_candidates_zone_and_reads_only(
    client, planned, recruiter
):
    link = send(planned, recruiter)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(path_of(link))
    assert page.status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert page["Referrer-Policy"] == "same-origin"
    options = page.context["options"]
    assert options
    first = options[0].rows
    assert {row["title"] for row in first} == {"Portfolio case", "Values chat"}
    assert all(row["starts_at"].tzinfo == LONDON for row in first)
    earliest = min(row["starts_at"] for row in first)
    assert earliest.hour >= 9

    in_new_york = client.get(path_of(link), {"tz": "America/New_York"})
    rows = in_new_york.context["options"][0].rows
    # the page prints them in New York time, not the server's
    first_row = rows[0]["starts_at"]
    assert f"{first_row:%H:%M}\N{EN DASH}" in in_new_york.content.decode()
    grid = in_new_york.context["grid"]
    assert f"> {grid[0][1][0][0]:%H:%M}<" in in_new_york.content.decode()
    assert "> 09:00<" in in_new_york.content.decode()
    assert all(row["starts_at"].utcoffset() == timedelta(hours=-5) for row in rows)
    # the link's hours are the candidate's own: 9 to 5 in New York, which the panel's London
    # day overlaps from 14:00
    for row in rows:
        assert row["starts_at"].hour >= 9
        assert row["starts_at"].astimezone(LONDON).hour >= 14
    assert '<option value="America/New_York" selected>' in in_new_york.content.decode()


def test_the_candidate_books_a_schedule_and_invites_go_out(client, planned, recruiter, panel):
    link = send(planned, recruiter)
    page = client.get(path_of(link), {"tz": "America/New_York"})
    option = page.context["options"][0]

    booked = client.post(
        path_of(link), {"action": "book", "option": option.signed, "tz": "America/New_York"}
    )

    assert booked.status_code == 302
    link.refresh_from_db()
    assert link.status == BookingLink.Status.BOOKED
    interviews = list(planned.interviews.order_by("starts_at"))
    assert [i.starts_at.astimezone(NEW_YORK) for i in interviews] == sorted(
        row["starts_at"] for row in option.rows
    )
    assert {i.plan_slot.slug for i in interviews} == {"case", "chat"}
    assert all(i.time_zone == "America/New_York" for i in interviews)
    planned.candidate.refresh_from_db()
    assert planned.candidate.time_zone == "America/New_York"

    deliver_due()
    assert [m.to for m in mail.outbox if "Your interview schedule" in m.subject] == [
        ["nia@example.org"]
    ]
    invited = {m.to[0] for m in mail.outbox if m.subject.startswith("Interview:")}
    assert invited == {panel["ava"].email, panel["ben"].email}

    shown = client.get(booked["Location"])
    assert "Your interviews are booked" in shown.content.decode()
    # a second pick through the same link books nothing more
    again = client.post(
        path_of(link), {"action": "book", "option": option.signed, "tz": "America/New_York"}
    )
    assert again.status_code == 400
    assert "booked already" in unescape(again.content.decode())
    assert planned.interviews.count() == 2


def test_the_candidate_sees_interviewers_names_never_their_addresses(
    client, planned, recruiter, panel
):
    # Ben's account has no name: staff pages show his address, the candidate never does
    User.objects.filter(pk=panel["ben"].pk).update(first_name="", last_name="")
    link = send(planned, recruiter)
    page = client.get(path_of(link))
    text = page.content.decode()
    assert "with Ava" in text
    assert "with a member of the hiring team" in text
    assert panel["ben"].email not in text
    option = page.context["options"][0]
    client.post(path_of(link), {"action": "book", "option": option.signed, "tz": "Europe/London"})
    booked = client.get(path_of(link)).content.decode()
    assert "a member of the hiring team" in booked
    assert panel["ben"].email not in booked
    deliver_due()
    [schedule] = [m for m in mail.outbox if "Your interview schedule" in m.subject]
    assert "a member of the hiring team" in schedule.body
    assert panel["ben"].email not in schedule.body
    [(html, _)] = schedule.alternatives
    assert panel["ben"].email not in html


def test_the_zone_list_is_grouped_by_region_and_names_places(client, planned, recruiter):
    link = send(planned, recruiter)
    html = client.get(path_of(link)).content.decode()
    europe = html.split('<optgroup label="Europe">', 1)[1].split("</optgroup>", 1)[0]
    assert '<option value="Europe/London" selected>London</option>' in europe
    america = html.split('<optgroup label="America">', 1)[1].split("</optgroup>", 1)[0]
    assert '<option value="America/New_York">New York</option>' in america
    assert '<option value="America/Argentina/Buenos_Aires">Argentina / Buenos Aires</option>' in (
        america
    )
    # a zone outside the regions (the candidate's own "UTC") is offered too, and chosen
    utc = client.get(path_of(link), {"tz": "UTC"}).content.decode()
    assert '<optgroup label="Other"><option value="UTC" selected>UTC</option>' in utc


def test_a_changed_or_stale_option_books_nothing(client, planned, recruiter):
    link = send(planned, recruiter)
    option = client.get(path_of(link)).context["options"][0]
    forged = option.signed[:-3] + ("abc" if not option.signed.endswith("abc") else "xyz")

    page = client.post(path_of(link), {"action": "book", "option": forged, "tz": "Europe/London"})

    assert page.status_code == 400
    assert "Choose one of the schedules shown." in unescape(page.content.decode())
    assert page.context["options"]  # the ones shown before, offered again
    assert planned.interviews.count() == 0
    # one signed for another link is refused too
    other = send(LoopFactory(requisition=planned.requisition), recruiter)
    page = client.post(
        path_of(other), {"action": "book", "option": option.signed, "tz": "Europe/London"}
    )
    assert page.status_code == 400
    assert other.loop.interviews.count() == 0
    assert planned.interviews.count() == 0


def test_availability_narrows_the_options_and_bad_cells_are_refused(client, planned, recruiter):
    link = send(planned, recruiter, days=3)
    page = client.get(path_of(link))
    grid = page.context["grid"]
    assert [day for day, _ in grid] == [DAY, DAY + timedelta(1), DAY + timedelta(2)]
    wednesday = [cell for cell, _ in grid[1][1]]
    chosen = [c.isoformat() for c in wednesday if c.hour in (14, 15)]

    saved = client.post(
        path_of(link), {"action": "availability", "cell": chosen, "tz": "Europe/London"}
    )

    assert saved.status_code == 302
    link.refresh_from_db()
    assert len(link.availability) == 1  # two adjacent hours, one span
    options = client.get(path_of(link)).context["options"]
    assert options
    for option in options:
        for row in option.rows:
            assert row["starts_at"].date() == DAY + timedelta(1)
            assert time(14) <= row["starts_at"].time()
            assert row["ends_at"].time() <= time(16)

    for cells, words in [
        ([], "Tick at least one hour"),
        (["2031-03-05T03:00:00+00:00"], "Tick hours from the grid shown."),
        (["tuesday"], "could not be read"),
    ]:
        bad = client.post(path_of(link), {"action": "availability", "cell": cells})
        assert bad.status_code == 400
        assert words in unescape(bad.content.decode())
    link.refresh_from_db()
    assert len(link.availability) == 1  # nothing lost


def test_reschedule_gives_the_times_back_and_cancel_tells_everyone(
    client, planned, recruiter, panel
):
    link = send(planned, recruiter)
    option = client.get(path_of(link)).context["options"][0]
    client.post(path_of(link), {"action": "book", "option": option.signed, "tz": "Europe/London"})
    deliver_due()
    mail.outbox.clear()

    unconfirmed = client.post(path_of(link), {"action": "reschedule"})
    assert unconfirmed.status_code == 400
    assert planned.interviews.filter(status=Interview.Status.SCHEDULED).count() == 2

    client.post(path_of(link), {"action": "reschedule", "confirm": "yes"})

    link.refresh_from_db()
    assert link.status == BookingLink.Status.OPEN
    assert planned.interviews.filter(status=Interview.Status.SCHEDULED).count() == 0
    deliver_due()
    cancelled = {m.to[0] for m in mail.outbox if m.subject.startswith("Cancelled:")}
    assert cancelled == {panel["ava"].email, panel["ben"].email}
    # fresh options for the same slots, and booking again works
    option = client.get(path_of(link)).context["options"][0]
    client.post(path_of(link), {"action": "book", "option": option.signed, "tz": "Europe/London"})
    assert planned.interviews.filter(status=Interview.Status.SCHEDULED).count() == 2

    client.post(path_of(link), {"action": "cancel", "confirm": "yes"})

    link.refresh_from_db()
    assert link.status == BookingLink.Status.CANCELLED
    assert planned.interviews.filter(status=Interview.Status.SCHEDULED).count() == 0
    mail.outbox.clear()
    deliver_due()
    [notice] = [m for m in mail.outbox if "cancelled their interviews" in m.subject]
    assert notice.to == [recruiter.email]
    page = client.get(path_of(link))
    assert "Your interviews are cancelled" in page.content.decode()
    assert client.post(path_of(link), {"action": "book", "option": option.signed}).status_code
    assert planned.interviews.filter(status=Interview.Status.SCHEDULED).count() == 0


def test_only_the_loops_recruiters_send_links(client, planned, interviewer, world):
    with pytest.raises(Refused, match="recruiters"):
        send(planned, interviewer)
    client.force_login(interviewer)
    answer = client.post(
        f"/admin/hiring/loop/{planned.pk}/propose/",
        {"action": "send_link", "link_first_day": DAY.isoformat(), "link_days": "2"},
    )
    assert answer.status_code in (302, 403, 404)
    assert not BookingLink.objects.exists()


def test_sending_is_refused_in_words_when_nothing_is_left_to_book(planned, recruiter):
    with pytest.raises(Invalid, match="between 1 and"):
        booking.booking_link_send(loop=planned, by=recruiter, first_day=DAY, days=40)
    with pytest.raises(Invalid, match="end after they start"):
        booking.booking_link_send(
            loop=planned, by=recruiter, first_day=DAY, days=2, day_start=time(17), day_end=time(9)
        )
    with pytest.raises(Invalid, match="today or later"):
        booking.booking_link_send(loop=planned, by=recruiter, first_day=date(2020, 1, 1), days=2)
    assert not BookingLink.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_candidates_racing_for_the_same_interviewer_get_one_booking(recruiter, hiring_manager):
    from django.contrib.auth.models import Group

    from hiring.roles import RECRUITERS_GROUP

    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    ava: User = UserFactory(
        username="ava", first_name="Ava", last_name="", time_zone="Europe/London"
    )
    tokens: list[tuple[str, str]] = []
    for title in ("VP of Product", "Head of Data"):
        requisition = RequisitionFactory(
            title=title, hiring_manager=hiring_manager, recruiters=[recruiter]
        )
        slot = PlanSlot.objects.create(
            requisition=requisition, position=1, slug="chat", title="Chat", minutes=45
        )
        slot.pool.set([ava])
        loop = LoopFactory(
            requisition=requisition, candidate=CandidateFactory(time_zone="Europe/London")
        )
        link = booking.booking_link_send(
            loop=loop, by=recruiter, first_day=DAY, days=1, day_start=time(10), day_end=time(10, 45)
        )
        # only one time fits: 10:00-10:45 with Ava, offered to both
        [option] = booking.options_for(link, "Europe/London")
        tokens.append((booking.token_for(link), option.signed))

    def pick(_: object) -> str:
        token, signed = tokens.pop()
        try:
            booking.candidate_book(token=token, zone="Europe/London", signed=signed)
        except Invalid as error:
            return str(error)
        return "booked"

    outcomes = collide(pick, inside=(proposals, "_check_choice"))

    assert sorted(outcomes, key=len)[0] == "booked"
    # the loser is told in words that say nothing about Ava (her zone, hours, calendar)
    assert "Someone was just booked into a time of that schedule" in sorted(outcomes, key=len)[1]
    assert Interview.objects.filter(interviewers=ava).count() == 1
    assert BookingLink.objects.filter(status=BookingLink.Status.BOOKED).count() == 1
    booked_at = Interview.objects.get(interviewers=ava).starts_at
    assert booked_at == datetime.combine(DAY, time(10), tzinfo=LONDON)
    assert Notification.objects.filter(reason="interview.invite").count() == 1


def test_the_demo_has_a_link_waiting_and_one_booked(client, demo):
    from scorecards.demo import BOOKING_CANDIDATES, demo_booking_link

    waiting, booked = (
        BookingLink.objects.get(loop__candidate__full_name=name) for name in BOOKING_CANDIDATES
    )
    assert waiting.status == BookingLink.Status.OPEN
    assert booked.status == BookingLink.Status.BOOKED
    assert booked.interviews.count() == booked.loop.requisition.plan_slots.count()
    address = demo_booking_link()
    assert address == booking.link_url(waiting)
    page = client.get(urlsplit(address).path)
    assert page.status_code == 200
    assert page.context["options"]
    shown = client.get(path_of(booked))
    assert "Your interviews are booked" in shown.content.decode()
