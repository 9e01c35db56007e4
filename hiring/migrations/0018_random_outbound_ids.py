"""Ids that leave the system are unique beyond one database (issue 19): each outbox event
gets a random ``event_id`` (webhook bodies' "id" and the Loopwise-Delivery header), each
notification a random Message-ID, both stored with their rows.

Existing events keep the uuid5 they were derived from, which is what their deliveries were
already sent with; existing notifications not being sent right now get a random Message-ID
(one in ``sending`` keeps its pk-derived one, so its retry matches the copy maybe accepted)."""

import uuid

from django.db import migrations, models

import hiring.models.delivery

LEGACY_NAMESPACE = uuid.UUID("6f1d8c52-3c1e-4b8e-9a57-0c8e1f4b7a10")
BATCH = 1000


def fill_ids(apps, schema_editor):
    OutboxEvent = apps.get_model("hiring", "OutboxEvent")
    Notification = apps.get_model("hiring", "Notification")
    events = OutboxEvent.objects.filter(event_id__isnull=True).only("pk").order_by("pk")
    batch = []
    for event in events.iterator(chunk_size=BATCH):
        event.event_id = uuid.uuid5(LEGACY_NAMESPACE, f"outbox:{event.pk}")
        batch.append(event)
        if len(batch) >= BATCH:
            OutboxEvent.objects.bulk_update(batch, ["event_id"])
            batch = []
    OutboxEvent.objects.bulk_update(batch, ["event_id"])
    rows = Notification.objects.filter(message_id="").exclude(status="sending").only("pk")
    batch = []
    for row in rows.order_by("pk").iterator(chunk_size=BATCH):
        row.message_id = hiring.models.delivery.new_message_id()
        batch.append(row)
        if len(batch) >= BATCH:
            Notification.objects.bulk_update(batch, ["message_id"])
            batch = []
    Notification.objects.bulk_update(batch, ["message_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("hiring", "0017_calendarsource_failing_since"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxevent",
            name="event_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_ids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="outboxevent",
            name="event_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="notification",
            name="message_id",
            field=models.CharField(
                blank=True, default=hiring.models.delivery.new_message_id, max_length=200
            ),
        ),
    ]
