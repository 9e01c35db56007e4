# Candidate booking links (issue 17).

import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import hiring.models.booking


class Migration(migrations.Migration):
    dependencies = [
        ("hiring", "0014_calendar_write_back"),
    ]

    operations = [
        migrations.CreateModel(
            name="BookingLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "nonce",
                    models.CharField(
                        default=hiring.models.booking.new_nonce, editable=False, max_length=32
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Waiting for the candidate"),
                            ("booked", "Booked by the candidate"),
                            ("cancelled", "Cancelled by the candidate"),
                            ("revoked", "Replaced or withdrawn"),
                        ],
                        default="open",
                        max_length=10,
                    ),
                ),
                ("first_day", models.DateField(help_text="The first day the candidate may book.")),
                ("last_day", models.DateField(help_text="The last day the candidate may book.")),
                (
                    "day_start",
                    models.TimeField(
                        default=datetime.time(9, 0),
                        help_text="Offered from this time of day, in the candidate's zone.",
                    ),
                ),
                (
                    "day_end",
                    models.TimeField(
                        default=datetime.time(17, 0),
                        help_text="Offered until this time of day, in the candidate's zone.",
                    ),
                ),
                (
                    "expires_at",
                    models.DateTimeField(help_text="After this the link opens nothing."),
                ),
                ("availability", models.JSONField(blank=True, default=list, editable=False)),
                ("booked_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "interviews",
                    models.ManyToManyField(
                        blank=True,
                        editable=False,
                        related_name="booking_links",
                        to="hiring.interview",
                    ),
                ),
                (
                    "loop",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="booking_links",
                        to="hiring.loop",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("last_day__gte", models.F("first_day"))),
                        name="bookinglink_days_in_order",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("day_end__gt", models.F("day_start"))),
                        name="bookinglink_hours_in_order",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("status__in", ["open", "booked", "cancelled", "revoked"])
                        ),
                        name="bookinglink_status_known",
                    ),
                ],
            },
        ),
    ]
