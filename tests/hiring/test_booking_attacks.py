"""An attacker's and a demanding user's review of the candidate booking link (issue 17).

Each test here states a behaviour a candidate, a recruiter or the person erased would
notice, and fails on main as landed (d33731e, a1bd3e2, 20fb0be) for the reason its
docstring gives."""

from __future__ import annotations

from datetime import date, time, timedelta
from html import unescape
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hiring import services
from hiring.delivery.notifications import deliver_due
from hiring.models import AuditEvent, BookingLink, Interview, Loop, PlanSlot, User
from hiring.privacy import candidate_erase
from hiring.scheduling import booking
from tests.conftest import World
from tests.factories import CandidateFactory, InterviewFactory, LoopFactory, UserFactory

NEW_YORK = ZoneInfo("America/New_York")
DAY = date(2031, 3, 4)  # a Tuesday, safely in the future


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def panel(db: None) -> dict[str, User]:
    return {
        name: UserFactory(
            username=name, first_name=name.title(), last_name="", time_zone="Europe/London"
        )
        for name in ("ava", "ben")
    }


@pytest.fixture
def planned(world: World, panel: dict[str, User]) -> Loop:
    """A London candidate's loop planning a case with Ava and a chat with Ben."""
    requisition = world.requisition
    case = PlanSlot.objects.create(
        requisition=requisition, position=1, slug="case", title="Portfolio case", minutes=60
    )
    chat = PlanSlot.objects.create(
        requisition=requisition, position=2, slug="chat", title="Values chat", minutes=45
    )
    case.pool.set([panel["ava"]])
    chat.pool.set([panel["ben"]])
    return LoopFactory(
        requisition=requisition,
        candidate=CandidateFactory(
            full_name="Nia Lowe", email="nia@example.org", time_zone="Europe/London"
        ),
    )


def send(loop: Loop, by: User, days: int = 1, **hours: time) -> BookingLink:
    return booking.booking_link_send(loop=loop, by=by, first_day=DAY, days=days, **hours)


def path_of(link: BookingLink) -> str:
    return urlsplit(booking.link_url(link)).path


def book_first(client: Client, link: BookingLink, zone: str = "Europe/London") -> None:
    option = client.get(path_of(link), {"tz": zone}).context["options"][0]
    answer = client.post(path_of(link), {"action": "book", "option": option.signed, "tz": zone})
    assert answer.status_code == 302


def queries_for(client: Client, method: str, path: str, data: dict[str, object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        getattr(client, method)(path, data)
    return len(queries)


def soon_link(loop: Loop, by: User, settings: Any) -> BookingLink:
    """A link offering every hour from today, whose minimum notice ends on a weekday, inside
    an offered day: the first window offered starts at now + the notice."""
    ahead = 1
    while (timezone.localdate() + timedelta(days=ahead)).weekday() >= 5:
        ahead += 1
    settings.BOOKING_MIN_NOTICE_HOURS = 24 * ahead
    return booking.booking_link_send(
        loop=loop,
        by=by,
        first_day=timezone.localdate(),
        days=ahead + 5,
        day_start=time(0),
        day_end=time(23, 59),
    )


# --- What the recruiter is told ----------------------------------------------------------


def test_the_cancellation_email_lists_the_interviews_the_candidate_cancelled(
    client, planned, recruiter
):
    """booking._release clears link.interviews inside the cancel, and the e-mail is rendered
    at send time from ``booking_links=link``: it finds nothing, so the recruiter reads
    "Nothing had been booked yet." about a candidate who just dropped two interviews."""
    link = send(planned, recruiter)
    book_first(client, link)
    deliver_due()
    mail.outbox.clear()

    client.post(path_of(link), {"action": "cancel", "confirm": "yes"})
    deliver_due()

    [notice] = [m for m in mail.outbox if "cancelled their interviews" in m.subject]
    assert "Nothing had been booked yet" not in notice.body
    assert "Portfolio case" in notice.body
    assert "Values chat" in notice.body


# --- What the candidate is told ----------------------------------------------------------


def test_a_time_just_taken_is_told_in_the_candidates_zone(client, planned, recruiter, panel):
    """proposals._availability_errors formats the clash with timezone.localtime (the
    server's zone, UTC here, unlabelled): a New York candidate reads a time five hours off."""
    link = send(planned, recruiter)
    page = client.get(path_of(link), {"tz": "America/New_York"})
    option = page.context["options"][0]
    case = next(row for row in option.rows if row["title"] == "Portfolio case")
    # the recruiter books Ava on another loop at that time, by hand
    InterviewFactory(
        loop=LoopFactory(requisition=planned.requisition),
        starts_at=case["starts_at"],
        ends_at=case["ends_at"],
        interviewers=[panel["ava"]],
    )

    answer = client.post(
        path_of(link), {"action": "book", "option": option.signed, "tz": "America/New_York"}
    )

    assert answer.status_code == 409
    [problem] = answer.context["problems"]
    local = case["starts_at"].astimezone(NEW_YORK)
    utc = case["starts_at"].astimezone(ZoneInfo("UTC"))
    assert f"{utc:%H:%M}" not in problem
    assert f"{local:%H:%M}" in problem


def test_the_candidate_never_reads_an_interviewers_zone_or_meeting_hours(
    client, planned, recruiter, panel
):
    """book_choices' reasons are written for the recruiter and shown as they are on the
    candidate's page: "Ava does not take interviews at ... (Asia/Tokyo): outside their
    meeting hours" tells a stranger where an employee is and when they work (the same path
    says who is "still in training" or "not qualified", and whose calendar is unknown)."""
    link = send(planned, recruiter)
    option = client.get(path_of(link)).context["options"][0]
    User.objects.filter(pk=panel["ava"].pk).update(time_zone="Asia/Tokyo")

    answer = client.post(
        path_of(link), {"action": "book", "option": option.signed, "tz": "Europe/London"}
    )

    assert answer.status_code == 409
    told = " ".join(answer.context["problems"])
    assert "Asia/Tokyo" not in told  # (the page's zone picker lists every zone)
    assert "meeting hours" not in unescape(answer.content.decode())


# --- Work an anonymous visitor can cause -------------------------------------------------


def test_reloading_a_link_offered_from_today_does_not_search_again(
    client, planned, recruiter, settings
):
    """The options' cache key holds the offered windows, whose first start is clamped to
    now + the minimum notice: it changes every microsecond, so every GET of a link whose
    window covers that instant runs the solver again (nothing bounds it per link)."""
    link = soon_link(planned, recruiter, settings)
    data = {"tz": "UTC"}
    first = queries_for(client, "get", path_of(link), data)
    again = queries_for(client, "get", path_of(link), data)

    assert client.get(path_of(link), data).context["options"]
    assert again < first / 2, (first, again)


def test_a_forged_option_does_not_buy_a_fresh_search(client, planned, recruiter):
    """Any Invalid on action=book (a made-up option included) answers with fresh=True, which
    skips the cache: one POST per request runs the solver, unthrottled, for anyone who
    holds the link."""
    link = send(planned, recruiter)
    data = {"tz": "Europe/London"}
    client.get(path_of(link), data)  # warms the cache
    cached = queries_for(client, "get", path_of(link), data)

    forged = queries_for(
        client, "post", path_of(link), {"action": "book", "option": "made-up", **data}
    )

    assert forged <= cached + 5, (cached, forged)


# --- Privacy: erasure, withdrawal, the trail ---------------------------------------------


def test_erasing_the_candidate_closes_their_link_and_forgets_their_hours(
    client, planned, recruiter
):
    """candidate_anonymise knows nothing of BookingLink: the erased person's link still
    opens and books (invites go to the panel for "Erased candidate #N"), and the hours they
    said they were free stay in link.availability."""
    link = send(planned, recruiter, days=2)
    cells = [cell.isoformat() for cell in booking.grid(link, "Europe/London")[0][1][:2]]
    client.post(path_of(link), {"action": "availability", "cell": cells, "tz": "Europe/London"})

    candidate_erase(candidate=planned.candidate, by=recruiter, reason="Their request")

    assert client.get(path_of(link)).status_code in (404, 410)
    link.refresh_from_db()
    assert link.availability == []


def test_a_withdrawn_candidate_gets_no_booking_email_and_the_link_is_withdrawn(
    client, planned, recruiter
):
    """render_booking_link checks the link's status and expiry but not the loop's: a link
    sent minutes before the candidate withdrew is still e-mailed to them, and the admin
    keeps listing it as "Waiting for the candidate" (it would open again on a reopen)."""
    link = send(planned, recruiter)

    services.loop_withdraw(loop=planned, by=recruiter, reason="Took another offer")
    deliver_due()

    assert [m for m in mail.outbox if m.to == ["nia@example.org"]] == []
    link.refresh_from_db()
    assert link.status != BookingLink.Status.OPEN


def test_the_hours_a_candidate_gives_are_in_the_audit_trail(client, planned, recruiter):
    """Booking, rescheduling and cancelling are audited; saving availability (personal data,
    and what narrows the schedules) leaves no trace."""
    link = send(planned, recruiter, days=2)
    cells = [cell.isoformat() for cell in booking.grid(link, "Europe/London")[0][1][:2]]

    answer = client.post(
        path_of(link), {"action": "availability", "cell": cells, "tz": "Europe/London"}
    )

    assert answer.status_code == 302
    assert AuditEvent.objects.filter(
        candidate_id=planned.candidate_id, action__startswith="booking_link.availability"
    ).exists()


def test_the_candidates_new_time_zone_is_audited_as_a_change_to_the_candidate(
    client, planned, recruiter
):
    """candidate_book saves candidate.time_zone directly, bypassing privacy.candidate_save:
    the candidate's history shows no change from Europe/London (DESIGN §7: every change to
    candidates is audited with before and after)."""
    link = send(planned, recruiter)

    book_first(client, link, zone="America/New_York")

    assert AuditEvent.objects.filter(
        action="candidate.changed",
        object_id=str(planned.candidate_id),
        before__time_zone="Europe/London",
        after__time_zone="America/New_York",
    ).exists()


# --- What the candidate sees after the recruiter steps in --------------------------------


def test_the_page_does_not_say_booked_after_the_recruiter_cancelled_every_interview(
    client, planned, recruiter
):
    """The link stays BOOKED when the recruiter cancels its interviews by hand: the page
    still heads "Your interviews are booked" and "We have e-mailed you this schedule"."""
    link = send(planned, recruiter)
    book_first(client, link)
    for interview in planned.interviews.all():
        services.interview_set_status(
            interview=interview,
            status=Interview.Status.CANCELLED,
            by=recruiter,
            reason="Candidate phoned",
        )

    page = unescape(client.get(path_of(link)).content.decode())

    assert "Your interviews are booked" not in page


# --- Time zones ---------------------------------------------------------------------------


def test_each_hour_of_the_grid_is_a_distinct_real_hour_on_a_day_the_clocks_change(
    planned, recruiter
):
    """grid() steps in wall-clock hours from naive combine(): on Friday 28 March 2031 in
    Jerusalem 02:00 does not exist, yet the grid offers a box "02:00" that is the same
    instant as the box "03:00" (ticking both saves one hour). Only hours offered around the
    change (here 00:00-05:00) are hit: low severity, but the grid should step in UTC."""
    spring = date(2031, 3, 28)
    link = booking.booking_link_send(
        loop=planned, by=recruiter, first_day=spring, days=1, day_start=time(0), day_end=time(5)
    )

    [(_day, cells)] = booking.grid(link, "Asia/Jerusalem")

    instants = [cell.astimezone(ZoneInfo("UTC")) for cell in cells]
    assert len(set(instants)) == len(instants), [c.isoformat() for c in cells]


def test_a_new_link_leaves_no_older_link_that_can_still_reschedule(client, planned, recruiter):
    """booking_link_send revokes only OPEN links: after the recruiter cancels one booked
    interview by hand and sends a new link, the old BOOKED link still reschedules (cancelling
    the interview left and opening itself again), so two links are open at once and the
    candidate's old e-mail undoes the recruiter's new plan."""
    old = send(planned, recruiter)
    book_first(client, old)
    first = planned.interviews.order_by("starts_at").first()
    assert first is not None
    services.interview_set_status(
        interview=first, status=Interview.Status.CANCELLED, by=recruiter, reason="Moved"
    )
    send(planned, recruiter)

    client.post(path_of(old), {"action": "reschedule", "confirm": "yes"})

    assert BookingLink.objects.filter(loop=planned, status=BookingLink.Status.OPEN).count() <= 1
    assert planned.interviews.filter(status=Interview.Status.SCHEDULED).count() == 1


def test_a_schedule_inside_the_minimum_notice_is_not_booked(client, planned, recruiter, settings):
    """candidate_book trusts the signed option for an hour and book_choices never looks at
    BOOKING_MIN_NOTICE_HOURS: a schedule shown before the notice moved past it (here the
    notice is raised, as an hour passing would do to an option at its edge) still books."""
    link = soon_link(planned, recruiter, settings)
    option = client.get(path_of(link), {"tz": "UTC"}).context["options"][0]
    settings.BOOKING_MIN_NOTICE_HOURS = 24 * 30

    answer = client.post(path_of(link), {"action": "book", "option": option.signed, "tz": "UTC"})

    assert answer.status_code == 409
    assert planned.interviews.count() == 0


def test_cancelling_before_booking_does_not_claim_the_interviewers_were_told(
    client, planned, recruiter
):
    """The "Cannot attend?" form is on the page before anything is booked; using it ends the
    link for good and the page then says "the interviewers have been told" about interviews
    that never existed."""
    link = send(planned, recruiter)

    client.post(path_of(link), {"action": "cancel", "confirm": "yes"})

    page = unescape(client.get(path_of(link)).content.decode())
    assert "the interviewers have been told" not in page


def test_the_recruiter_sees_the_hours_the_candidate_gave(client, planned, recruiter):
    """When no schedule fits, the page tells the candidate "Tell us below when you are free
    and we will look again; your recruiter sees it too", but nothing shows the recruiter
    link.availability (the propose page lists a link's days, status and expiry only) and
    nobody is notified: the candidate's answer goes nowhere."""
    link = send(planned, recruiter, days=2)
    [(_, cells)] = [row for row in booking.grid(link, "Europe/London") if row[0] == DAY]
    chosen = [cell.isoformat() for cell in cells if cell.hour in (13, 14)]
    saved = client.post(
        path_of(link), {"action": "availability", "cell": chosen, "tz": "Europe/London"}
    )
    assert saved.status_code == 302

    client.force_login(recruiter)
    page = unescape(client.get(f"/admin/hiring/loop/{planned.pk}/propose/").content.decode())

    listed = page[page.index("Booking links sent") :]
    assert "13:00" in listed
    assert "15:00" in listed
