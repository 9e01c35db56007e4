"""DRF's stock tokens (``authtoken_token``, plain text, never expiring) become hashed
``ApiToken`` rows, then the plain-text rows are deleted.

A script sending ``Authorization: Token <key>`` keeps working (its key is checked against
the digest) until the migrated token expires, API_TOKEN_DAYS after this migration; its owner
sees it on their account page as "Migrated DRF token" and can revoke it. The table is read
with SQL because ``rest_framework.authtoken`` is no longer installed; a database that never
had it has nothing to migrate."""

import hashlib
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

TABLE = "authtoken_token"


def migrate_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("signin", "ApiToken")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {TABLE}")  # noqa: S608
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        ApiToken(
            owner_id=user_id,
            name="Migrated DRF token",
            prefix=key[:8],
            digest=hashlib.sha256(key.encode()).hexdigest(),
            scope="write",  # what it could do before
            created_at=_created(created, now),
            expires_at=now + timedelta(days=settings.API_TOKEN_DAYS),
        )
        for key, user_id, created in rows
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608  (no plain-text key stays behind)


def _created(value, now):
    """DRF's creation time as an aware datetime (SQLite may hand back text), else now."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        return now
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return min(moment, now)


class Migration(migrations.Migration):
    dependencies = [("signin", "0001_initial")]

    operations = [migrations.RunPython(migrate_drf_tokens, migrations.RunPython.noop)]
