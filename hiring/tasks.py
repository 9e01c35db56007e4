"""Thin tasks: they call one service and are safe to run twice, or at once."""

from __future__ import annotations

from celery import shared_task

from hiring.delivery import outbox


@shared_task
def dispatch_outbox() -> int:
    """Deliver due outbox events, a batch at a time, re-queuing while there are more."""
    taken = outbox.dispatch()
    if taken == outbox.BATCH_SIZE:
        dispatch_outbox.delay()
    return taken


@shared_task
def send_due_notifications() -> int:
    """Send due notifications, a batch at a time, re-queuing while there are more. Beat runs
    it every minute; commits that add a due notification nudge it at once."""
    from django.conf import settings

    from hiring.delivery import notifications

    taken = notifications.deliver_due(settings.NOTIFICATION_BATCH_SIZE)
    if taken == settings.NOTIFICATION_BATCH_SIZE:
        send_due_notifications.delay()
    return taken


@shared_task
def deliver_webhooks() -> int:
    """Send due webhook deliveries, a batch at a time, re-queuing while there are more. Beat
    runs it every minute (the retries); fan-out nudges it after commit."""
    from django.conf import settings

    from hiring.delivery import webhooks

    taken = webhooks.deliver_due(settings.WEBHOOK_BATCH_SIZE)
    if taken == settings.WEBHOOK_BATCH_SIZE:
        deliver_webhooks.delay()
    return taken


@shared_task
def purge_idempotency_keys() -> int:
    """Forget API idempotency keys older than API_IDEMPOTENCY_HOURS."""
    from hiring.api.idempotency import purge_expired

    return purge_expired()


@shared_task
def anonymise_expired_candidates() -> int:
    """Anonymise candidates whose retention ran out (DESIGN §7). Safe to run twice: an
    anonymised candidate is never picked again."""
    from hiring import privacy

    return privacy.anonymise_expired()


@shared_task
def delete_orphaned_attachments() -> int:
    """Delete stored documents no row names any more (a storage that failed when they were
    removed). Safe to run twice: the second run finds none."""
    from hiring import attachments

    return attachments.orphans_delete()


@shared_task
def remind_due_outcomes() -> int:
    """Ask hiring managers for the outcomes after a hire that fell due (issue 18). Safe to run
    twice: one reminder per loop and checkpoint, ever."""
    from hiring import outcomes

    return outcomes.remind_due()


@shared_task
def calendars_sync_due() -> int:
    """Read interviewers' calendars that are due (CALENDAR_SYNC_BATCH_SIZE at a time,
    re-queuing while there are more). Beat runs it every minute; each source is a row with
    its own due time, claimed before it is read, so a second run at once reads nothing twice."""
    from django.conf import settings

    from hiring.scheduling import busy

    taken = busy.sync_due(limit=settings.CALENDAR_SYNC_BATCH_SIZE)
    if taken == settings.CALENDAR_SYNC_BATCH_SIZE:
        calendars_sync_due.delay()
    return taken


@shared_task
def calendars_write_back() -> int:
    """Write interviews into the CalDAV calendars that asked for them (write-back), a batch
    at a time, re-queuing while there are more. Invites nudge it after commit; beat runs it
    every minute for the retries. Each row is claimed before it is written, and what it
    writes is decided then, so running it twice writes nothing twice."""
    from django.conf import settings

    from hiring.scheduling import writeback

    taken = writeback.write_due(settings.CALENDAR_SYNC_BATCH_SIZE)
    if taken == settings.CALENDAR_SYNC_BATCH_SIZE:
        calendars_write_back.delay()
    return taken
