"""Busy time from interviewers' real calendars (issue 17).

- ``fetch_busy`` reads one calendar (CalDAV, or an ICS feed over HTTP) and returns its busy
  stretches in UTC: recurring events expanded (``recurring_ical_events``), all-day events
  busy for the whole day in the owner's time zone, transparent ("free") and cancelled events
  left out, every time zone and DST switch resolved to instants.
- ``sync_source`` stores them as ``BusyBlock`` rows (never a title), replacing the source's
  rows in one transaction, and records the outcome: a failure in words, with backoff.
- ``busy_for`` answers "when is this person busy": Loopwise's own interviews always, plus
  every synced calendar, and says *unknown* when a calendar could not be read recently
  enough. Unknown is never free.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import caldav
import icalendar
import recurring_ical_events
import requests
from caldav.lib import error as caldav_error
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hiring.delivery.background import enqueue_after_commit
from hiring.errors import Invalid
from hiring.models import BusyBlock, CalendarSource, Interview, User
from hiring.models.calendars import CalendarKeyError

Span = tuple[datetime, datetime]

# Backoff after failures in a row: 10 min, 20 min, 40 min, ... up to 6 hours.
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
# A sync claims its source this long (a lost worker's source is due again afterwards).
LEASE = timedelta(minutes=10)
# A day before "now" is read too: earlier meetings of today still matter.
LOOKBEHIND = timedelta(days=1)
ERROR_CHARS = 500


class CalendarError(Exception):
    """A calendar could not be read; the message says why, in words a person acts on."""


# --- Connecting one ------------------------------------------------------------------------


def url_refusal(url: str) -> str | None:
    """Why Loopwise may not read a calendar at ``url``, or None: http(s) with a host only and,
    unless CALENDAR_ALLOW_PRIVATE_NETWORKS, no host that is or resolves to a loopback,
    private or link-local address, so a calendar address is no way into the servers behind
    Loopwise. Checked when connecting and again before every read."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Give the calendar's http(s) address."
    if settings.CALENDAR_ALLOW_PRIVATE_NETWORKS:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port)}
    except (OSError, ValueError, UnicodeError):
        return None  # left to the read, which fails in words and is retried
    for address in found:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            return f"{parts.hostname} points to an internal address ({ip}): not allowed here."
    return None


def calendar_connect(
    *,
    owner: User,
    kind: str,
    url: str,
    name: str = "",
    username: str = "",
    secret: str = "",
    write_back: bool = False,
) -> CalendarSource:
    """Connect a calendar of ``owner``'s; it is read by the next sweep (within a minute)."""
    if kind not in CalendarSource.Kind.values:
        raise Invalid({"kind": ["Choose a CalDAV calendar or an ICS feed."]})
    if write_back and kind != CalendarSource.Kind.CALDAV:
        raise Invalid({"write_back": [WRITE_BACK_CALDAV_ONLY]})
    refusal = url_refusal(url)
    if refusal is not None:
        raise Invalid({"url": [refusal]})
    source = CalendarSource(owner=owner, kind=kind, name=name.strip()[:100])
    source.url = url.strip()
    source.username = username.strip()[:200]
    source.secret = secret
    source.write_back = write_back
    source.save()
    return source


WRITE_BACK_CALDAV_ONLY = "Only a CalDAV calendar can take interviews: an ICS feed is read-only."


def calendar_set_write_back(*, source: CalendarSource, on: bool) -> None:
    """Turn write-back on or off for the interviews invited from now on (interviews
    already in the calendar stay there)."""
    if on and source.kind != CalendarSource.Kind.CALDAV:
        raise Invalid({"write_back": [WRITE_BACK_CALDAV_ONLY]})
    CalendarSource.objects.filter(pk=source.pk).update(write_back=on)
    source.write_back = on


def calendar_disconnect(*, source: CalendarSource) -> None:
    """Forget the calendar, its credentials and every busy block read from it."""
    source.delete()


# --- Reading a calendar --------------------------------------------------------------------


def fetch_busy(source: CalendarSource, window_start: datetime, window_end: datetime) -> list[Span]:
    """The busy stretches of ``source`` that overlap the window, in UTC, sorted and merged.
    Raises ``CalendarError`` (or the client's own exception) when it cannot be read."""
    refusal = url_refusal(source.url)
    if refusal is not None:
        raise CalendarError(refusal)
    if source.kind == CalendarSource.Kind.CALDAV:
        calendars = _caldav_calendars(source, window_start, window_end)
    else:
        calendars = [_feed_calendar(source)]
    return busy_in(calendars, ZoneInfo(source.owner.time_zone), window_start, window_end)


def busy_in(
    calendars: Iterable[icalendar.Calendar],
    zone: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
) -> list[Span]:
    """The busy stretches of these calendars (their owner in ``zone``) that overlap the
    window, in UTC, sorted and merged."""
    found: list[tuple[str, Span]] = []
    for calendar in calendars:
        for event in recurring_ical_events.of(calendar).between(window_start, window_end):
            span = _busy_span(event, zone)
            if span is not None:
                found.append((str(event.get("UID", "")), span))
    # Loopwise's own interviews (an accepted invite, or the write-back) count as busy from
    # Loopwise itself (``busy_for``), and only while they stand: not twice, and not after
    # they were cancelled here.
    own = set(
        Interview.objects.filter(calendar_uid__in={uid for uid, _ in found if uid}).values_list(
            "calendar_uid", flat=True
        )
    )
    return merge(span for uid, span in found if uid not in own)


def _caldav_calendars(
    source: CalendarSource, window_start: datetime, window_end: datetime
) -> list[icalendar.Calendar]:
    """The events of the CalDAV calendar at the source's address that touch the window, as
    stored (recurring ones whole: they are expanded here, the same way for every server)."""
    client = caldav.DAVClient(
        url=source.url,
        username=source.username or None,
        password=source.secret or None,
        timeout=settings.CALENDAR_TIMEOUT_SECONDS,
    )
    with client:
        calendar = client.calendar(url=source.url)
        found = calendar.search(start=window_start, end=window_end, event=True, expand=False)
        return [item.icalendar_instance for item in found]


def _feed_calendar(source: CalendarSource) -> icalendar.Calendar:
    """GET the feed (with a timeout and a size cap) and parse it."""
    auth = (source.username, source.secret) if source.username else None
    limit = settings.CALENDAR_FEED_MAX_BYTES
    with requests.get(
        source.url,
        auth=auth,
        timeout=settings.CALENDAR_TIMEOUT_SECONDS,
        stream=True,
        headers={"Accept": "text/calendar"},
    ) as response:
        if response.status_code >= 400:
            raise CalendarError(_http_words(response.status_code))
        body = bytearray()
        for chunk in response.iter_content(64 * 1024):
            body.extend(chunk)
            if len(body) > limit:
                raise CalendarError(
                    f"the feed is larger than {limit // (1024 * 1024) or 1} MB "
                    "(CALENDAR_FEED_MAX_MB)"
                )
    try:
        return icalendar.Calendar.from_ical(bytes(body))
    except ValueError:
        raise CalendarError("the address did not answer with an iCalendar file") from None


def _busy_span(event: icalendar.Event, zone: ZoneInfo) -> Span | None:
    """One occurrence's busy time in UTC, or None when it holds no time."""
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None  # marked "free" by its owner
    try:
        start, end = event.start, event.end
    except (KeyError, ValueError):  # icalendar.IncompleteComponent included
        return None  # no usable DTSTART: nothing to block
    span = (_instant(start, zone), _instant(end, zone))
    return span if span[1] > span[0] else None


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    """A DTSTART/DTEND as a UTC instant. A date (all-day) is its midnight in the owner's time
    zone; a floating time (no zone) is the owner's wall-clock time."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping or touching stretches joined."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


# --- Storing it ----------------------------------------------------------------------------


def backoff(failures: int) -> timedelta:
    """How long to wait after ``failures`` failed syncs in a row."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(failures, 0))


def sync_source(source: CalendarSource, *, now: datetime | None = None) -> bool:
    """Read ``source`` and replace its busy blocks; record the outcome on it. True when it
    was read. Any failure is recorded in words (``last_error``), counted (``failures``) and
    retried after a backoff; the blocks of the last good sync stay, but ``busy_for`` calls
    the person's time unknown until a sync succeeds again."""
    now = now or timezone.now()
    window_start = now - LOOKBEHIND
    window_end = now + timedelta(days=settings.CALENDAR_SYNC_DAYS)
    try:
        spans = fetch_busy(source, window_start, window_end)
    except Exception as exc:  # whatever went wrong is recorded, in words
        failures = source.failures + 1
        changes = {
            "last_error": redact(describe(exc), source)[:ERROR_CHARS],
            "failures": failures,
            "failing_since": source.failing_since or now,
            "next_sync_at": now + backoff(failures),
        }
        CalendarSource.objects.filter(pk=source.pk).update(**changes)
        for name, value in changes.items():
            setattr(source, name, value)
        return False
    return record_read(source, spans, now=now, window=(window_start, window_end))


def record_read(
    source: CalendarSource, spans: Iterable[Span], *, now: datetime, window: Span
) -> bool:
    """Store what a successful read of ``source`` over ``window`` found: its busy blocks,
    replaced in one transaction, and the outcome. False if the source is gone meanwhile."""
    window_start, window_end = window
    changes = {
        "last_synced_at": now,
        "synced_from": window_start,
        "synced_until": window_end,
        "last_error": "",
        "failures": 0,
        "failing_since": None,
        "next_sync_at": now + timedelta(minutes=settings.CALENDAR_SYNC_MINUTES),
    }
    with transaction.atomic():
        # Locked, so two syncs of one source write one after the other, never interleaved;
        # a source deleted meanwhile gets nothing written.
        if not CalendarSource.objects.select_for_update().filter(pk=source.pk).exists():
            return False
        BusyBlock.objects.filter(source_id=source.pk).delete()
        BusyBlock.objects.bulk_create(
            BusyBlock(user_id=source.owner_id, source_id=source.pk, starts_at=s, ends_at=e)
            for s, e in spans
        )
        CalendarSource.objects.filter(pk=source.pk).update(**changes)
    for name, value in changes.items():
        setattr(source, name, value)
    return True


def claim_due(*, now: datetime, limit: int) -> list[CalendarSource]:
    """Up to ``limit`` sources due for a sync, each claimed for this caller alone: its
    ``next_sync_at`` moves a lease ahead in a conditional UPDATE, so a second sweep running
    at once (or right after) finds it not due and leaves it."""
    due = list(
        CalendarSource.objects.filter(next_sync_at__lte=now)
        .select_related("owner")
        .order_by("next_sync_at", "pk")[:limit]
    )
    claimed = []
    for source in due:
        taken = CalendarSource.objects.filter(
            pk=source.pk, next_sync_at=source.next_sync_at
        ).update(next_sync_at=now + LEASE)
        if taken == 1:
            claimed.append(source)
    return claimed


def sync_due(*, limit: int, now: datetime | None = None) -> int:
    """One sweep: sync up to ``limit`` due sources; return how many were due."""
    now = now or timezone.now()
    claimed = claim_due(now=now, limit=limit)
    for source in claimed:
        sync_source(source, now=now)
    return len(claimed)


# --- Errors in words -----------------------------------------------------------------------


def _http_words(status: int) -> str:
    if status in (401, 403):
        return f"the server refused the username or password (HTTP {status})"
    if status == 404:
        return "no calendar at that address (HTTP 404)"
    return f"the server answered HTTP {status}"


def redact(words: str, source: CalendarSource) -> str:
    """``words`` without the calendar's address: a client's own message may quote it, and a
    private feed's path is as good as its password."""
    try:
        url = source.url
    except CalendarKeyError:
        return words
    path = urlsplit(url).path
    for secret in (url, url.rstrip("/"), path if len(path) > 1 else ""):
        if secret:
            words = words.replace(secret, "(the calendar's address)")
    return words


def describe(exc: BaseException) -> str:
    """Why a sync failed, in words: the first cause along the chain that we can name."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, CalendarError | CalendarKeyError):
            return str(seen)
        if isinstance(seen, ConnectionRefusedError) or (
            isinstance(seen, OSError) and seen.errno == errno.ECONNREFUSED
        ):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "the server's name does not resolve"
        if isinstance(seen, requests.Timeout | socket.timeout | TimeoutError):
            return f"no answer within {settings.CALENDAR_TIMEOUT_SECONDS} s"
        if isinstance(seen, caldav_error.AuthorizationError):
            return "the server refused the username or password"
        if isinstance(seen, caldav_error.NotFoundError):
            return "no calendar at that address"
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"  # requests only names it in the message
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the server's name does not resolve"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --- Who is busy when ----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceState:
    """A source's state for people: the words, and whether its busy time is unknown."""

    words: str
    unknown: bool


def duration_words(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


def source_health(source: CalendarSource, *, now: datetime | None = None) -> SourceState:
    """The state a scheduler may see of someone else's calendar: ok, unknown or failing
    since when, and when it was last synced; never the error (it may name the server)."""
    now = now or timezone.now()
    synced = (
        f"last synced {source.last_synced_at:%Y-%m-%d %H:%M} UTC"
        if source.last_synced_at
        else "never synced"
    )
    if source.failures:
        since = source.failing_since or source.updated_at
        return SourceState(
            f"Unknown: failing since {since:%Y-%m-%d %H:%M} UTC "
            f"({source.failures} attempt{'s' if source.failures != 1 else ''}); {synced}",
            unknown=True,
        )
    state = source_state(source, now=now)
    if state.unknown:
        return SourceState(f"Unknown: {synced}", unknown=True)
    return SourceState(f"OK: {synced}", unknown=False)


def calendar_sync_soon(*, sources: Iterable[CalendarSource]) -> int:
    """Make these calendars due now and nudge the sweep after commit ("sync now"); a
    calendar being read right now is read again after. Returns how many."""
    ids = [source.pk for source in sources]
    count = CalendarSource.objects.filter(pk__in=ids).update(next_sync_at=timezone.now())
    if count:
        enqueue_after_commit("hiring.tasks.calendars_sync_due")
    return count


def source_state(source: CalendarSource, *, now: datetime | None = None) -> SourceState:
    now = now or timezone.now()
    retry = f"retrying in {duration_words(source.next_sync_at - now)}"
    if source.failures:
        return SourceState(f"Failed: {source.last_error} — {retry}", unknown=True)
    if source.last_synced_at is None:
        return SourceState("Not synced yet: shown as unknown", unknown=True)
    age = now - source.last_synced_at
    if age > timedelta(minutes=settings.CALENDAR_STALE_MINUTES):
        return SourceState(
            f"Last synced {duration_words(age)} ago, too long: shown as unknown", unknown=True
        )
    return SourceState(f"Synced {duration_words(age)} ago", unknown=False)


@dataclass(frozen=True)
class Availability:
    """A person's busy time between two instants. ``unknown``: some of their calendars could
    not be read recently enough, so any time not in ``blocks`` may still be busy."""

    blocks: tuple[Span, ...]
    unknown: bool
    reasons: tuple[str, ...]

    def is_free(self, start: datetime, end: datetime) -> bool:
        """Known to be free for the whole of [start, end): never when unknown."""
        if self.unknown:
            return False
        return not any(s < end and start < e for s, e in self.blocks)


def busy_for(
    user: User, start: datetime, end: datetime, *, now: datetime | None = None
) -> Availability:
    """When ``user`` is busy between ``start`` and ``end``: their Loopwise interviews (always)
    and their calendars' busy blocks, merged; unknown, with the reasons in words, when a
    calendar has never synced, failed its last sync, is older than CALENDAR_STALE_MINUTES, or
    was not read as far as the question asks."""
    return busy_for_many([user.pk], start, end, now=now)[user.pk]


def busy_for_many(
    user_ids: Iterable[int], start: datetime, end: datetime, *, now: datetime | None = None
) -> dict[int, Availability]:
    """:func:`busy_for` for many people at once, in three queries however many they are."""
    now = now or timezone.now()
    ids = sorted(set(user_ids))
    spans: dict[int, list[Span]] = {pk: [] for pk in ids}
    through = Interview.interviewers.through
    interviews = (
        through.objects.filter(
            user_id__in=ids,
            interview__starts_at__lt=end,
            interview__ends_at__gt=start,
        )
        .exclude(interview__status=Interview.Status.CANCELLED)
        .values_list("user_id", "interview__starts_at", "interview__ends_at")
    )
    blocks = BusyBlock.objects.filter(
        user_id__in=ids, starts_at__lt=end, ends_at__gt=start
    ).values_list("user_id", "starts_at", "ends_at")
    for pk, low, high in [*interviews, *blocks]:
        spans[pk].append((low, high))
    reasons: dict[int, list[str]] = {pk: [] for pk in ids}
    for source in CalendarSource.objects.filter(owner_id__in=ids).order_by("pk"):
        state = source_state(source, now=now)
        if state.unknown:
            reasons[source.owner_id].append(f"{source}: {state.words[0].lower()}{state.words[1:]}")
        elif (
            source.synced_from
            and source.synced_until
            and (start < source.synced_from or end > source.synced_until)
        ):
            reasons[source.owner_id].append(
                f"{source}: read only from {source.synced_from:%Y-%m-%d %H:%M} to "
                f"{source.synced_until:%Y-%m-%d %H:%M} UTC (CALENDAR_SYNC_DAYS)"
            )
    return {
        pk: Availability(
            blocks=tuple(merge(spans[pk])), unknown=bool(reasons[pk]), reasons=tuple(reasons[pk])
        )
        for pk in ids
    }
