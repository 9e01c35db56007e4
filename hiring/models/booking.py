"""Candidate booking links (issue 17): a signed, expiring address, sent to the candidate, that
opens one loop's booking page without a login. There the candidate, in their own time zone,
picks one of the proposed schedules or says when they are free; later the same address
reschedules or cancels what they booked.

The address carries ``[pk, nonce]``, signed (``hiring.scheduling.booking``): nothing
secret is stored, a revoked or replaced link stops working because its row says so, and an
expired one because ``expires_at`` has passed. The row keeps what the candidate did: the
availability they gave (UTC instants, no more) and the interviews they booked through it.
"""

from __future__ import annotations

import secrets
from datetime import time

from django.db import models
from django.db.models import F, Q

from hiring.models.base import TimeStamped, User
from hiring.models.pipeline import Interview, Loop


def new_nonce() -> str:
    return secrets.token_hex(8)


class BookingLink(TimeStamped):
    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the candidate"
        BOOKED = "booked", "Booked by the candidate"
        CANCELLED = "cancelled", "Cancelled by the candidate"
        REVOKED = "revoked", "Replaced or withdrawn"

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="booking_links")
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    first_day = models.DateField(help_text="The first day the candidate may book.")
    last_day = models.DateField(help_text="The last day the candidate may book.")
    day_start = models.TimeField(
        default=time(9), help_text="Offered from this time of day, in the candidate's zone."
    )
    day_end = models.TimeField(
        default=time(17), help_text="Offered until this time of day, in the candidate's zone."
    )
    expires_at = models.DateTimeField(help_text="After this the link opens nothing.")
    # [[start, end], ...] as ISO 8601 UTC instants: when the candidate said they are free.
    availability = models.JSONField(default=list, blank=True, editable=False)
    interviews = models.ManyToManyField(
        Interview, blank=True, related_name="booking_links", editable=False
    )
    booked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="bookinglink_days_in_order"
            ),
            models.CheckConstraint(
                condition=Q(day_end__gt=F("day_start")), name="bookinglink_hours_in_order"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "booked", "cancelled", "revoked"]),
                name="bookinglink_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"Booking link for {self.loop} ({self.get_status_display()})"
