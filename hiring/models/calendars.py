"""Interviewers' own calendars (issue 17): where their busy time comes from.

A ``CalendarSource`` is one connected calendar: a CalDAV calendar or a read-only ICS feed.
Its address and password are credentials (a private ICS address is as good as a password),
so both are kept encrypted at rest with Fernet, under ``CALENDAR_ENCRYPTION_KEY`` from the
environment; only the host is kept in clear, to show which calendar it is.

A ``BusyBlock`` is one stretch of busy time read from a source, in UTC. Nothing else about
the event is kept: no title, description, location or attendees (free/busy only).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from hiring.models.base import TimeStamped, User


class CalendarKeyError(ImproperlyConfigured):
    """The encryption key is missing, malformed, or not the one a secret was stored with."""


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    # Several keys, comma-separated, rotate: the first encrypts, all of them decrypt.
    names = [key.strip() for key in keys.split(",") if key.strip()]
    if not names:
        raise CalendarKeyError(
            "CALENDAR_ENCRYPTION_KEY is not set: calendar credentials cannot be stored or read."
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in names])
    except ValueError:
        raise CalendarKeyError(
            "CALENDAR_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes; "
            'make one with python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())").'
        ) from None


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return _fernet(settings.CALENDAR_ENCRYPTION_KEY).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(settings.CALENDAR_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        raise CalendarKeyError(
            "This calendar's credentials were stored under another CALENDAR_ENCRYPTION_KEY: "
            "restore that key (it may follow the new one, comma-separated) or reconnect."
        ) from None


class CalendarSource(TimeStamped):
    """One calendar an interviewer connected. ``next_sync_at`` is when the sweep
    (``hiring.tasks.calendars_sync_due``) next reads it: soon after a success, later after
    each failure in a row (``failures``), up to a cap."""

    class Kind(models.TextChoices):
        CALDAV = "caldav", "CalDAV calendar"
        ICS_FEED = "ics_feed", "ICS feed (read-only address)"

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_sources")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True, help_text="What you call it: Work.")
    host = models.CharField(
        max_length=255, editable=False, help_text="The server's name: the rest is encrypted."
    )
    url_ciphertext = models.TextField(editable=False)
    username = models.CharField(max_length=200, blank=True)
    secret_ciphertext = models.TextField(blank=True, editable=False)
    last_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The stretch of time the last successful sync read: busy time outside it is unknown.
    synced_from = models.DateTimeField(null=True, blank=True, editable=False)
    synced_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    failures = models.PositiveIntegerField(default=0, editable=False)
    # The first failed sync of the current run of failures (None while it reads fine).
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    next_sync_at = models.DateTimeField(default=timezone.now, editable=False)
    write_back = models.BooleanField(
        "add my Loopwise interviews to this calendar",
        default=False,
        help_text="CalDAV only: each interview you are invited to is written into this "
        "calendar (same event as the e-mailed invite), updated and removed with it.",
    )

    class Meta:
        ordering = ["owner_id", "id"]
        indexes = [models.Index(fields=["next_sync_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["caldav", "ics_feed"]), name="calendarsource_kind_known"
            ),
            # An ICS feed is read-only: there is nowhere to write to.
            models.CheckConstraint(
                condition=Q(write_back=False) | Q(kind="caldav"),
                name="calendarsource_write_back_caldav_only",
            ),
        ]

    def __str__(self) -> str:
        # Never the host: recruiters who schedule the owner see the calendar by this name.
        return self.name or str(self.get_kind_display())

    # The address and the password, read and written in clear, stored encrypted.
    @property
    def url(self) -> str:
        return decrypt(self.url_ciphertext)

    @url.setter
    def url(self, value: str) -> None:
        self.url_ciphertext = encrypt(value)
        self.host = (urlsplit(value).netloc.rpartition("@")[2] or value)[:255]

    @property
    def secret(self) -> str:
        return decrypt(self.secret_ciphertext)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_ciphertext = encrypt(value)


class CalendarWrite(models.Model):
    """A job "bring ``source``'s copy of ``interview`` in line with Loopwise": one row per calendar
    and interview, made due again by every invite, update or cancellation of its owner
    (``hiring.scheduling.writeback``). What to write is decided when it runs, from the
    interview as it is then (the event, or nothing once cancelled), so running it twice, late
    or out of order writes the same thing."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        WRITING = "writing", "Writing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(
        CalendarSource, on_delete=models.CASCADE, related_name="calendar_writes"
    )
    interview = models.ForeignKey(
        "hiring.Interview", on_delete=models.CASCADE, related_name="calendar_writes"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # What the calendar holds after the last success: the SEQUENCE written, or None (removed).
    written_sequence = models.IntegerField(null=True, blank=True)
    written_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "interview"], name="calendarwrite_one_per_source_interview"
            ),
        ]

    def __str__(self) -> str:
        return f"interview {self.interview_id} into calendar {self.source_id}: {self.status}"


class BusyBlock(models.Model):
    """Busy from ``starts_at`` to ``ends_at`` (UTC), read from ``source``; nothing else."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="busy_blocks")
    source = models.ForeignKey(CalendarSource, on_delete=models.CASCADE, related_name="busy_blocks")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["user", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="busyblock_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"busy {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%H:%M} UTC"
