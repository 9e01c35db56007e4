from email.utils import parseaddr

from django.conf import settings
from django.db import migrations, models
from django.db.models import Q

import hiring.models.pipeline


def sent_domain():
    """The domain of the UIDs invites carried before the UID was stored (what
    ``calendar.domain()`` said then), kept here as it was: those UIDs are already in
    attendees' calendars."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "loopwise.local"


def keep_sent_uids(apps, schema_editor):
    """Interviews without a stored UID keep the one their invites already carried, so an
    update or cancellation still lands on the event in the attendee's calendar."""
    Interview = apps.get_model("hiring", "Interview")
    domain = sent_domain()
    missing = Interview.objects.filter(Q(calendar_uid__isnull=True) | Q(calendar_uid=""))
    batch = []
    for interview in missing.only("pk").iterator():
        interview.calendar_uid = f"interview-{interview.pk}@{domain}"
        batch.append(interview)
        if len(batch) == 500:
            Interview.objects.bulk_update(batch, ["calendar_uid"])
            batch = []
    Interview.objects.bulk_update(batch, ["calendar_uid"])


class Migration(migrations.Migration):
    dependencies = [
        ("hiring", "0012_load_plans"),
    ]

    operations = [
        # nullable first: a callable default would give every existing row the same UID
        migrations.AddField(
            model_name="interview",
            name="calendar_uid",
            field=models.CharField(editable=False, max_length=255, null=True),
        ),
        migrations.RunPython(keep_sent_uids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="interview",
            name="calendar_uid",
            field=models.CharField(
                default=hiring.models.pipeline.new_calendar_uid,
                editable=False,
                help_text="iCalendar UID of its invites, updates and cancellations; never changes.",
                max_length=255,
                unique=True,
            ),
        ),
    ]
