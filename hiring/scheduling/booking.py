"""Candidate self-booking (issue 17): the recruiter sends a signed, expiring link; the
candidate opens it without a login, in their own time zone, and picks one of the proposed
schedules or says when they are free; the same link later reschedules or cancels.

The link is the candidate's permission for one loop's booking page and nothing else. It
carries ``[pk, nonce]`` signed under this module's salt: nothing secret is stored,
and a link stops working when its row says so (replaced by a newer link, cancelled) or when
it runs out. An open link runs out at ``expires_at``; a booked one keeps working, to
reschedule or cancel, until the first interview it booked begins.

Picking holds every slot at once: ``proposals.book_choices`` locks the interviewers' rows and
checks each placement again, so two candidates racing for the same person at the same time
get one booking between them; the other is shown fresh options. The schedule a candidate
picks is the one the page showed them, signed, so a changed form cannot book a time nobody
offered.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hiring import privacy, services
from hiring.delivery import notifications
from hiring.errors import Invalid
from hiring.models import AuditEvent, BookingLink, Interview, Loop, User
from hiring.scheduling import proposals
from hiring.scheduling.plans import slot_states

LINK_SALT = "loopwise.booking-link"
CHOICE_SALT = "loopwise.booking-choice"
CANDIDATE_BOOKING_LINK = "candidate.booking_link"
BOOKING_CANCELLED = "booking.cancelled"  # to the loop's recruiters
OPTIONS = 3
MAX_DAYS = 21
# A schedule shown on the page may be booked for this long; after that, fresh options.
CHOICE_MAX_AGE = 60 * 60
CACHE_SECONDS = 120

Span = tuple[datetime, datetime]


class TimeTaken(Invalid):
    """The schedule picked no longer holds (a time was just taken, or is now too soon): the
    page searches afresh. Its words are for the candidate, never the recruiter's reasons."""


MAX_RESCHEDULES = 3


class LinkUnusable(Exception):
    """The link opens nothing: ``reason`` says why, for the candidate."""

    def __init__(self, reason: str, *, link: BookingLink | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.link = link


def token_for(link: BookingLink) -> str:
    # Signer, not dumps: no timestamp, so every e-mail and page names the link the same way
    # (its row says when it runs out).
    return signing.Signer(salt=LINK_SALT).sign_object([link.pk, link.nonce])


def link_url(link: BookingLink) -> str:
    return f"{settings.SITE_URL}{reverse('booking', args=[token_for(link)])}"


def _read_token(token: str) -> tuple[int, str]:
    try:
        pk, nonce = signing.Signer(salt=LINK_SALT).unsign_object(token)
        return int(pk), str(nonce)
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkUnusable(
            "This booking link is not complete or was changed. Open it again from the e-mail."
        ) from None


def works_until(link: BookingLink) -> datetime:
    """When the link stops opening anything (see the module's docstring)."""
    if link.status == BookingLink.Status.BOOKED:
        first = min((i.starts_at for i in link.interviews.all()), default=link.expires_at)
        return first
    return link.expires_at


def link_open(token: str, *, lock: bool = False) -> BookingLink:
    """The link ``token`` names, while it still works; else ``LinkUnusable`` in words."""
    pk, nonce = _read_token(token)
    rows = BookingLink.objects.select_related("loop__candidate", "loop__requisition")
    if lock:
        rows = rows.select_for_update(of=("self",))
    link = rows.filter(pk=pk, nonce=nonce).first()
    if link is None:
        raise LinkUnusable("This booking link no longer exists. Ask your recruiter for a new one.")
    if link.status == BookingLink.Status.REVOKED:
        newer = BookingLink.objects.filter(loop_id=link.loop_id, pk__gt=link.pk).exists()
        raise LinkUnusable(
            "This booking link was replaced by a newer one: use the latest e-mail from your "
            "recruiter."
            if newer
            else "Your recruiter withdrew this booking link: ask them if you need a new one.",
            link=link,
        )
    if link.status != BookingLink.Status.CANCELLED and works_until(link) <= timezone.now():
        raise LinkUnusable(
            "This booking link has run out. Ask your recruiter for a new one.", link=link
        )
    if link.loop.status not in Loop.OPEN_STATUSES or link.loop.candidate.anonymised_at:
        raise LinkUnusable(
            "This interview process is closed, so there is nothing to book.", link=link
        )
    return link


# --- The recruiter's side --------------------------------------------------------------------


def booking_link_send(
    *,
    loop: Loop,
    by: User,
    first_day: date,
    days: int,
    day_start: time = time(9),
    day_end: time = time(17),
    valid_days: int | None = None,
) -> BookingLink:
    """Send the candidate a new booking link for the loop's open plan slots, offering
    ``days`` days from ``first_day`` between ``day_start`` and ``day_end`` in their zone.
    Any earlier open link of the loop stops working (one link at a time)."""
    services.check_can_act(user=by, loop=loop)
    if loop.status not in Loop.OPEN_STATUSES:
        raise Invalid("This loop is closed: there is nothing to book.")
    if not any(not state.placed for state in slot_states(loop)):
        raise Invalid("Every slot of the plan is placed already: there is nothing to book.")
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"Offer between 1 and {MAX_DAYS} days.")
    if day_start >= day_end:
        raise Invalid("The day's hours must end after they start.")
    if first_day < timezone.localdate():
        raise Invalid("The days offered must start today or later.")
    if not loop.candidate.email:
        raise Invalid("The candidate has no e-mail address to send the link to.")
    valid = valid_days or settings.BOOKING_LINK_DAYS
    with transaction.atomic():
        # One link at a time: an older one, booked or not, can no longer book, reschedule or
        # cancel what the recruiter has since arranged.
        BookingLink.objects.filter(
            loop=loop, status__in=[BookingLink.Status.OPEN, BookingLink.Status.BOOKED]
        ).update(status=BookingLink.Status.REVOKED)
        link = BookingLink.objects.create(
            loop=loop,
            created_by=by,
            first_day=first_day,
            last_day=first_day + timedelta(days=days - 1),
            day_start=day_start,
            day_end=day_end,
            expires_at=timezone.now() + timedelta(days=valid),
        )
        notifications.notify(
            reason=CANDIDATE_BOOKING_LINK, obj=link, recipient_email=loop.candidate.email
        )
        privacy.audit(
            action="booking_link.sent",
            obj=loop,
            by=by,
            candidate_id=loop.candidate_id,
            after={"link": link.pk, "first_day": str(first_day), "last_day": str(link.last_day)},
        )
    return link


def booking_link_withdraw(*, link: BookingLink, by: User) -> bool:
    """Stop ``link`` working at once (sent to a wrong address, say, or the candidate should
    not book or move anything by it any more); what it booked stays booked. False when it
    no longer worked anyway (a second click)."""
    services.check_can_act(user=by, loop=link.loop)
    with transaction.atomic():
        withdrawn = BookingLink.objects.filter(
            pk=link.pk, status__in=[BookingLink.Status.OPEN, BookingLink.Status.BOOKED]
        ).update(status=BookingLink.Status.REVOKED, updated_at=timezone.now())
        if withdrawn:
            privacy.audit(
                action="booking_link.withdrawn",
                obj=link.loop,
                by=by,
                candidate_id=link.loop.candidate_id,
                after={"link": link.pk},
            )
    return bool(withdrawn)


# --- The candidate's side --------------------------------------------------------------------


def zone_or_default(link: BookingLink, asked: str | None) -> str:
    """The zone the page speaks in: the one asked for when it is a real zone, else the
    candidate's own."""
    if asked:
        try:
            ZoneInfo(asked)
            return asked
        except (ValueError, KeyError, OSError):
            pass
    return proposals.candidate_zone(link.loop)


def _earliest() -> datetime:
    """The soonest an interview may be booked: the notice from now, up to the next whole hour
    (so the options, and the cache key they are kept under, stay the same for an hour)."""
    soonest = timezone.now() + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS)
    hour = soonest.replace(minute=0, second=0, microsecond=0)
    return hour if hour == soonest else hour + timedelta(hours=1)


def offered_windows(link: BookingLink, zone: str) -> tuple[Span, ...]:
    """What the candidate may book: their availability when they gave it, else the link's
    hours on its weekdays; never sooner than the minimum notice."""
    if link.availability:
        spans = tuple(
            (datetime.fromisoformat(low), datetime.fromisoformat(high))
            for low, high in link.availability
        )
    else:
        days = (link.last_day - link.first_day).days + 1
        spans = proposals.candidate_windows(
            link.first_day, days, link.day_start, link.day_end, zone
        )
    earliest = _earliest()
    return tuple((max(low, earliest), high) for low, high in spans if high > earliest)


@dataclass(frozen=True)
class Option:
    number: int
    rows: list[dict[str, Any]]
    signed: str


def _sign(link: BookingLink, choices: list[proposals.Choice]) -> str:
    payload = {"link": link.pk, "nonce": link.nonce, "c": [c.encode() for c in choices]}
    return signing.dumps(payload, salt=CHOICE_SALT, compress=True)


def _unsign(link: BookingLink, signed: str) -> list[proposals.Choice]:
    try:
        payload = signing.loads(signed, salt=CHOICE_SALT, max_age=CHOICE_MAX_AGE)
    except signing.SignatureExpired:
        raise Invalid("Those options are more than an hour old: here are fresh ones.") from None
    except signing.BadSignature:
        raise Invalid("Choose one of the schedules shown.") from None
    if payload.get("link") != link.pk or payload.get("nonce") != link.nonce:
        raise Invalid("Choose one of the schedules shown.")
    return [proposals.Choice.decode(value) for value in payload["c"]]


def _cache_key(link: BookingLink, zone: str, windows: tuple[Span, ...]) -> str:
    state = json.dumps(
        [
            link.pk,
            link.nonce,
            zone,
            [[a.isoformat(), b.isoformat()] for a, b in windows],
            services.schedule_version(link.loop),
        ]
    )
    return "booking-options:" + hashlib.sha256(state.encode()).hexdigest()


def options_for(link: BookingLink, zone: str, *, fresh: bool = False) -> list[Option]:
    """Up to three complete schedules the candidate may pick, in ``zone``. Reads only; the
    answer is kept a couple of minutes, so reloading the page does not search again."""
    windows = offered_windows(link, zone)
    if not windows:
        return []
    key = _cache_key(link, zone, windows)
    cached = None if fresh else cache.get(key)
    if cached is not None:
        return [Option(**item) for item in cached]
    _count_search(link)
    result = proposals.propose_for(loop=link.loop, windows=windows, count=OPTIONS)
    placed = {p.interviewer.id for proposal, _ in result.proposals for p in proposal.placements}
    names = {person.pk: person.name_for_candidates for person in User.objects.filter(pk__in=placed)}
    tz = ZoneInfo(zone)
    options = [
        Option(
            number=number,
            rows=[
                {
                    "title": placement.slot.title,
                    "who": names.get(placement.interviewer.id, ""),
                    "starts_at": placement.starts_at.astimezone(tz),
                    "ends_at": placement.ends_at.astimezone(tz),
                }
                for placement in proposal.placements
            ],
            signed=_sign(link, choices),
        )
        for number, (proposal, choices) in enumerate(result.proposals, start=1)
    ]
    cache.set(key, [option.__dict__ for option in options], CACHE_SECONDS)
    return options


class TooManySearches(Exception):
    """The link asked for more fresh schedules than ``SEARCHES_PER_WINDOW`` lately."""


SEARCHES_PER_WINDOW, SEARCH_WINDOW_SECONDS = 20, 600


def _count_search(link: BookingLink) -> None:
    """Searching is the expensive part of the page: a link holder gets a bounded number of
    fresh searches in ten minutes (cached answers are free), whatever zones they try."""
    key = f"booking-searches:{link.pk}:{int(timezone.now().timestamp()) // SEARCH_WINDOW_SECONDS}"
    cache.add(key, 0, SEARCH_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one as the first
        cache.set(key, 1, SEARCH_WINDOW_SECONDS)
        count = 1
    if count > SEARCHES_PER_WINDOW:
        raise TooManySearches


def grid(link: BookingLink, zone: str) -> list[tuple[date, list[datetime]]]:
    """The week grid the candidate ticks: each weekday the link offers, with its hourly cells
    (their starts, in ``zone``) from the link's first hour to its last."""
    tz = ZoneInfo(zone)
    earliest = _earliest()
    days = []
    day = link.first_day
    while day <= link.last_day:
        if day.weekday() < 5:
            cells = []
            utc = ZoneInfo("UTC")
            # Step in real hours (UTC), so a day the clocks change has no hour twice.
            cursor = datetime.combine(day, link.day_start, tzinfo=tz).astimezone(utc)
            end = datetime.combine(day, link.day_end, tzinfo=tz).astimezone(utc)
            while cursor + timedelta(hours=1) <= end:
                if cursor >= earliest:
                    cells.append(cursor.astimezone(tz))
                cursor += timedelta(hours=1)
            if cells:
                days.append((day, cells))
        day += timedelta(days=1)
    return days


def cell_ticked(link: BookingLink, cell: datetime) -> bool:
    """Is the hour starting at ``cell`` inside the availability the candidate gave?"""
    return any(
        datetime.fromisoformat(low) <= cell
        and cell + timedelta(hours=1) <= datetime.fromisoformat(high)
        for low, high in link.availability
    )


def booked_rows(link: BookingLink, zone: str) -> list[dict[str, Any]]:
    """What the candidate booked through the link, in ``zone``: never what is assessed."""
    tz = ZoneInfo(zone)
    return [
        {
            "title": interview.title,
            "starts_at": interview.starts_at.astimezone(tz),
            "ends_at": interview.ends_at.astimezone(tz),
            "who": ", ".join(p.name_for_candidates for p in interview.interviewers.all()),
            "status": interview.get_status_display(),
            "live": interview.status == Interview.Status.SCHEDULED,
            "location": interview.location,
            "video_url": interview.video_url,
        }
        for interview in link.interviews.prefetch_related("interviewers").order_by("starts_at")
    ]


def availability_save(*, token: str, zone: str, cells: list[str]) -> BookingLink:
    """Keep the hours the candidate ticked (cells of ``grid``) as their availability: the
    options offered are then found inside them."""
    with transaction.atomic():
        link = link_open(token, lock=True)
        if link.status != BookingLink.Status.OPEN:
            raise Invalid("Your interviews are booked: reschedule them to choose other times.")
        offered = {cell for _, row in grid(link, zone) for cell in row}
        chosen = set()
        for value in cells:
            try:
                when = datetime.fromisoformat(value)
            except ValueError:
                raise Invalid("One of the hours ticked could not be read: try again.") from None
            if when.tzinfo is None or when not in offered:
                raise Invalid("Tick hours from the grid shown.")
            chosen.add(when)
        if not chosen:
            raise Invalid("Tick at least one hour when you are free.")
        spans: list[list[datetime]] = []
        for start in sorted(chosen):
            if spans and spans[-1][1] == start:
                spans[-1][1] = start + timedelta(hours=1)
            else:
                spans.append([start, start + timedelta(hours=1)])
        utc = ZoneInfo("UTC")
        link.availability = [
            [a.astimezone(utc).isoformat(), b.astimezone(utc).isoformat()] for a, b in spans
        ]
        link.save(update_fields=["availability", "updated_at"])
        privacy.audit(
            action="booking_link.availability",
            obj=link.loop,
            by=None,
            candidate_id=link.loop.candidate_id,
            after={"link": link.pk, "free": link.availability, "by": "candidate"},
        )
    return link


def availability_words(link: BookingLink, zone: str) -> list[str]:
    """The hours the candidate said they are free, in ``zone``, for the recruiter."""
    tz = ZoneInfo(zone)
    words = []
    for low, high in link.availability:
        start = datetime.fromisoformat(low).astimezone(tz)
        end = datetime.fromisoformat(high).astimezone(tz)
        words.append(f"{start:%a %d %b} {start:%H:%M}\N{EN DASH}{end:%H:%M}")
    return words


def _valid_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ValueError, KeyError, OSError):
        raise Invalid("Choose a time zone from the list.") from None
    return zone


def candidate_book(*, token: str, zone: str, signed: str) -> list[Interview]:
    """Book the schedule the candidate picked, all of it or nothing, and send the invites
    and the candidate's schedule. Raises Invalid in words when a time was just taken (the
    page then shows fresh options) or the link cannot book."""
    zone = _valid_zone(zone)
    with transaction.atomic():
        link = link_open(token, lock=True)
        if link.status != BookingLink.Status.OPEN:
            raise Invalid("Your interviews are booked already: reschedule them to change.")
        choices = _unsign(link, signed)
        loop = link.loop
        when = _times_in(choices, zone)
        if min(choice.starts_at for choice in choices) < _earliest():
            raise TimeTaken(f"That schedule ({when}) now starts too soon: here are fresh options.")
        candidate = loop.candidate
        if candidate.time_zone != zone:
            candidate.time_zone = zone
            privacy.candidate_save(candidate=candidate, by=None)  # audited, before and after
        try:
            created = proposals.book_choices(loop=loop, choices=choices)
        except Invalid:
            # The reasons name interviewers' zones, hours, training and calendars: the
            # recruiter's to read, not a stranger's.
            raise TimeTaken(
                f"Someone was just booked into a time of that schedule ({when}): here are "
                "fresh options."
            ) from None
        link.status = BookingLink.Status.BOOKED
        link.booked_at = timezone.now()
        link.save(update_fields=["status", "booked_at", "updated_at"])
        link.interviews.set(created)
        services.send_invites(loop)
        privacy.audit(
            action="booking_link.booked",
            obj=loop,
            by=None,
            candidate_id=loop.candidate_id,
            after={"link": link.pk, "interviews": [i.pk for i in created], "time_zone": zone},
        )
    return created


def _times_in(choices: list[proposals.Choice], zone: str) -> str:
    tz = ZoneInfo(zone)
    starts = sorted(choice.starts_at.astimezone(tz) for choice in choices)
    return f"{starts[0]:%a %d %b} " + ", ".join(f"{t:%H:%M}" for t in starts) + f", {zone}"


def _release(link: BookingLink, reason: str, *, forget: bool) -> int:
    """Cancel what the link booked; ``forget`` also drops them from the link (rescheduling:
    the link books anew), else they stay listed (cancelling: the recruiter's e-mail says
    which)."""
    interviews = list(link.interviews.select_for_update().select_related("loop"))
    count = services.interviews_cancel_for_candidate(interviews=interviews, reason=reason)
    if forget:
        link.interviews.clear()
    return count


def has_live_interviews(link: BookingLink) -> bool:
    return link.interviews.filter(status=Interview.Status.SCHEDULED).exists()


def candidate_reschedule(*, token: str) -> BookingLink:
    """Give the booked times back and open the link again, so the candidate picks anew: the
    panel gets cancellations now, invites for the new times when they pick. The link offers
    at least the next two weeks and works for at least two more days."""
    with transaction.atomic():
        link = link_open(token, lock=True)
        if link.status != BookingLink.Status.BOOKED:
            raise Invalid("There is no booked schedule to change.")
        done = AuditEvent.objects.filter(
            action="booking_link.rescheduling", after__link=link.pk
        ).count()
        if done >= MAX_RESCHEDULES:
            raise Invalid(
                "These interviews have been rescheduled several times already: please reply "
                "to your recruiter's e-mail to change them."
            )
        _release(link, "The candidate is rescheduling through their booking link.", forget=True)
        today = timezone.localdate()
        link.status = BookingLink.Status.OPEN
        link.booked_at = None
        link.availability = []
        link.first_day = max(link.first_day, today)
        link.last_day = max(link.last_day, today + timedelta(days=14))
        link.expires_at = max(link.expires_at, timezone.now() + timedelta(days=2))
        link.save()
        privacy.audit(
            action="booking_link.rescheduling",
            obj=link.loop,
            by=None,
            candidate_id=link.loop.candidate_id,
            after={"link": link.pk},
        )
    return link


def candidate_cancel(*, token: str) -> BookingLink:
    """Cancel what the candidate booked through the link (or, before booking, say they will
    not book): the panel and the loop's recruiters are told, and the link opens nothing but
    this answer from now on."""
    with transaction.atomic():
        link = link_open(token, lock=True)
        if link.status == BookingLink.Status.CANCELLED:
            return link
        cancelled = _release(
            link, "The candidate cancelled through their booking link.", forget=False
        )
        link.status = BookingLink.Status.CANCELLED
        link.save(update_fields=["status", "updated_at"])
        for recruiter in link.loop.requisition.recruiters.filter(is_active=True).order_by("pk"):
            notifications.notify(
                reason=BOOKING_CANCELLED,
                obj=link,
                recipient_email=recruiter.email,
                recipient=recruiter,
            )
        privacy.audit(
            action="booking_link.cancelled",
            obj=link.loop,
            by=None,
            candidate_id=link.loop.candidate_id,
            after={"link": link.pk, "interviews_cancelled": cancelled},
        )
    return link
