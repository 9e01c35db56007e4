"""Who signs in, and the timestamps most rows carry. Roles come from relations (a
requisition's hiring manager and recruiters, an interview's panel), not from a flag on the user."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from hiring.validators import validate_time_zone


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class User(AbstractUser):
    """Anyone who signs in. Roles come from relations (a requisition's hiring manager and
    recruiters, an interview's panel), not from a flag on the user."""

    email = models.EmailField("e-mail address")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        verbose_name = "user"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email or self.username

    @property
    def name_for_candidates(self) -> str:
        """How a candidate sees this person (their booking page, their schedule): the name,
        never the work address or username the staff's pages fall back to."""
        return self.get_full_name() or "a member of the hiring team"
