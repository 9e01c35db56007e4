"""Notifications: written once, sent once, at the right moment, retried with a cap, visible
in the admin. Real SMTP faults are in tests/reliability/test_delivery_faults.py."""

import re
import smtplib
import socket
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from hiring.delivery import notifications
from hiring.delivery.notifications import RenderedEmail
from hiring.models import Notification
from hiring.roles import RECRUITERS_GROUP
from tests.factories import LoopFactory, RequisitionFactory, UserFactory

pytestmark = pytest.mark.django_db

SGT = ZoneInfo("Asia/Singapore")


def notify(**kwargs) -> Notification:
    """``notifications.notify`` for tests: always returns a row."""
    row = notifications.notify(**kwargs)
    assert row is not None
    return row


@pytest.fixture
def hello(monkeypatch):
    """A renderer for a test reason: text, HTML, an .ics attachment and a header."""
    rendered: list[Notification] = []

    def render(notification):
        rendered.append(notification)
        return RenderedEmail(
            subject="Hello: Amara Diallo — Portfolio strategy case",
            text="Plain words.",
            html="<p>Rich words.</p>",
            attachments=[("invite.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")],
            headers={"X-Test": "yes"},
        )

    monkeypatch.setitem(notifications._renderers, "test.hello", render)
    return rendered


@pytest.fixture
def obsolete(monkeypatch):
    monkeypatch.setitem(notifications._renderers, "test.obsolete", lambda notification: None)


def test_notifying_twice_writes_one_row(world, interviewer):
    # given a notification already scheduled
    first = notify(reason="test.hello", obj=world.interview, recipient_email=interviewer.email)
    # when the same message is asked for again (upper-case address, another request)
    again = notify(
        reason="test.hello", obj=world.interview, recipient_email=interviewer.email.upper()
    )
    # then it is the same row
    assert again == first
    assert Notification.objects.count() == 1
    assert first.requisition_id == world.requisition.pk  # recruiters see it in the admin
    # and a new sequence is a new message
    notify(reason="test.hello", obj=world.interview, recipient_email=interviewer.email, sequence=1)
    assert Notification.objects.count() == 2


def notify_then_fail(world, interviewer):
    with transaction.atomic():
        notify(reason="test.hello", obj=world.interview, recipient_email=interviewer.email)
        raise RuntimeError("the change failed")


def test_a_rolled_back_change_schedules_nothing(world, interviewer):
    with pytest.raises(RuntimeError):
        notify_then_fail(world, interviewer)
    assert not Notification.objects.exists()


def test_reminders_wait_for_the_morning_in_the_recipients_zone(world):
    # given an interviewer in Singapore and a moment that is 23:00 there
    person = UserFactory(time_zone="Asia/Singapore")
    late_evening = datetime(2025, 3, 10, 23, 0, tzinfo=SGT)

    # when a reminder and an invite fall due then
    reminder = notify(
        reason=notifications.SCORECARD_DUE,
        obj=world.interview,
        recipient_email=person.email,
        recipient=person,
        due_at=late_evening,
    )
    invite = notify(
        reason="interview.invite",
        obj=world.interview,
        recipient_email=person.email,
        recipient=person,
        due_at=late_evening,
    )

    # then the reminder waits for 08:00 Singapore time; the invite does not
    assert reminder.due_at == datetime(2025, 3, 11, 8, 0, tzinfo=SGT)
    assert invite.due_at == late_evening


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((20, 59), (10, 20, 59)),  # before the quiet hours: as is
        ((21, 0), (11, 8, 0)),  # evening: tomorrow 08:00
        ((0, 30), (10, 8, 0)),  # after midnight: this morning 08:00
        ((7, 59), (10, 8, 0)),
        ((8, 0), (10, 8, 0)),  # the quiet hours are over
    ],
)
def test_quiet_hours_boundaries(local, expected):
    when = datetime(2025, 3, 10, *local, tzinfo=SGT)
    day, hour, minute = expected
    assert notifications.outside_quiet_hours(when, SGT) == datetime(
        2025, 3, day, hour, minute, tzinfo=SGT
    )


def test_quiet_hours_respect_a_daylight_saving_change():
    berlin = ZoneInfo("Europe/Berlin")
    # the night the clocks go forward (30 March 2025)
    when = datetime(2025, 3, 29, 22, 0, tzinfo=berlin)
    assert notifications.outside_quiet_hours(when, berlin) == datetime(
        2025, 3, 30, 8, 0, tzinfo=berlin
    )
    assert notifications.outside_quiet_hours(when, berlin).utcoffset() == timedelta(hours=2)


def test_a_due_notification_is_sent_with_text_html_attachment_and_a_stable_message_id(
    world, interviewer, hello
):
    # given a notification due now
    row = notify(reason="test.hello", obj=world.interview, recipient_email=interviewer.email)

    # when the sweep runs twice
    assert notifications.deliver_due(10) == 1
    assert notifications.deliver_due(10) == 0

    # then exactly one e-mail went out, with both parts, the attachment and the headers
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == [interviewer.email]
    assert message.subject == "Hello: Amara Diallo — Portfolio strategy case"
    assert message.body == "Plain words."
    assert message.alternatives[0][1] == "text/html"
    assert message.attachments[0][0] == "invite.ics"
    assert message.extra_headers["X-Test"] == "yes"
    # a random Message-ID stored with the row when it was written: no other installation's
    assert re.fullmatch(r"<notification\.[0-9a-f]{32}@localhost>", row.message_id)
    assert message.extra_headers["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.SENT, 1)
    assert row.sent_at is not None
    assert row.subject == message.subject
    assert row.message_id == message.extra_headers["Message-ID"]


def test_a_notification_that_no_longer_applies_is_cancelled_not_sent(world, interviewer, obsolete):
    row = notify(reason="test.obsolete", obj=world.interview, recipient_email=interviewer.email)
    notifications.deliver_due(10)
    row.refresh_from_db()
    assert row.status == Notification.Status.CANCELLED
    assert mail.outbox == []


def test_a_notification_not_yet_due_waits(world, interviewer, hello):
    notify(
        reason="test.hello",
        obj=world.interview,
        recipient_email=interviewer.email,
        due_at=timezone.now() + timedelta(minutes=5),
    )
    assert notifications.deliver_due(10) == 0
    assert mail.outbox == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_smtp_server_is_retried_with_backoff_then_given_up(
    world, interviewer, hello, settings
):
    # given nothing listens on the SMTP port (a real refused connection, nothing mocked)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_TIMEOUT = 2
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 600  # far ahead: no short retry nudge queued
    row = notify(reason="test.hello", obj=world.interview, recipient_email=interviewer.email)

    # when the sweep tries
    before = timezone.now()
    notifications.deliver_due(10)

    # then the row waits for a retry, backing off, with the error recorded
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.PENDING, 1)
    assert "ConnectionRefusedError" in row.last_error
    assert before + timedelta(seconds=299) <= row.due_at <= before + timedelta(seconds=601)

    # and after the last allowed attempt it is failed, not retried for ever
    for _ in range(5):
        Notification.objects.filter(pk=row.pk).update(due_at=timezone.now())
        notifications.deliver_due(10)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.FAILED, 3)
    assert row.sent_at is None


def test_an_unreachable_smtp_server_stops_the_sweep_at_the_first_failure(
    world, interviewer, hello, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 600
    for sequence in range(3):
        notify(
            reason="test.hello",
            obj=world.interview,
            recipient_email=interviewer.email,
            sequence=sequence,
        )
    assert notifications.deliver_due(10) == 1
    attempts = sorted(Notification.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]  # the others keep their attempts for when it is back


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    for attempts, step in [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)]:
        delay = notifications.backoff(attempts).total_seconds()
        assert step * 0.5 <= delay <= step


def test_smtp_replies_are_told_apart():
    assert notifications.is_permanent(
        smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")})
    )
    assert not notifications.is_permanent(
        smtplib.SMTPRecipientsRefused({"a@example.com": (451, b"try later")})
    )
    assert notifications.is_permanent(smtplib.SMTPDataError(554, b"rejected"))
    assert not notifications.is_permanent(smtplib.SMTPDataError(451, b"busy"))
    assert not notifications.is_permanent(smtplib.SMTPServerDisconnected("gone"))
    assert not notifications.is_permanent(ConnectionRefusedError())
    assert not notifications.is_permanent(smtplib.SMTPAuthenticationError(535, b"bad login"))


def test_two_claims_of_one_row_succeed_once(world, interviewer):
    row = notify(reason="test.hello", obj=world.interview, recipient_email=interviewer.email)
    now = timezone.now()
    assert notifications._claim(Notification.objects.get(pk=row.pk), now)
    assert not notifications._claim(Notification.objects.get(pk=row.pk), now)


def test_a_row_left_sending_by_a_dead_worker_is_sent_after_the_lease(
    world, interviewer, hello, settings
):
    # given a worker claimed a row and died before finishing
    settings.NOTIFICATION_LEASE_SECONDS = 60
    with time_machine.travel(timezone.now() - timedelta(minutes=2), tick=False):
        row = notify(reason="test.hello", obj=world.interview, recipient_email=interviewer.email)
        assert notifications._claim(row, timezone.now())
    dead_claim = row.claimed_at

    # when a sweep runs after the lease
    notifications.deliver_due(10)

    # then the message goes out once, on the second attempt
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.SENT, 2)
    assert len(mail.outbox) == 1
    # and the dead worker, had it woken up, could not overwrite the outcome
    stale = Notification(pk=row.pk, claimed_at=dead_claim)
    assert not notifications._finish(stale, status=Notification.Status.FAILED)
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT


def test_a_row_within_its_lease_is_left_alone(world, interviewer, hello):
    row = notify(reason="test.hello", obj=world.interview, recipient_email=interviewer.email)
    assert notifications._claim(row, timezone.now())
    notifications.deliver_due(10)
    row.refresh_from_db()
    assert row.status == Notification.Status.SENDING
    assert mail.outbox == []


def test_a_late_reminder_is_not_sent_in_the_night(world, monkeypatch):
    # given a scorecard reminder that was due at 20:00 Singapore time but not sent then
    person = UserFactory(time_zone="Asia/Singapore")
    monkeypatch.setitem(
        notifications._renderers,
        notifications.SCORECARD_DUE,
        lambda notification: RenderedEmail(subject="Scorecard due", text="x"),
    )
    with time_machine.travel(datetime(2025, 3, 10, 20, 0, tzinfo=SGT), tick=False):
        row = notify(
            reason=notifications.SCORECARD_DUE,
            obj=world.interview,
            recipient_email=person.email,
            recipient=person,
        )
    # when the sweep only gets to it at 23:30 there
    with time_machine.travel(datetime(2025, 3, 10, 23, 30, tzinfo=SGT), tick=False):
        notifications.deliver_due(10)
    # then it waits for 08:00, untouched otherwise
    row.refresh_from_db()
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 0
    assert row.due_at == datetime(2025, 3, 11, 8, 0, tzinfo=SGT)
    assert mail.outbox == []
    with time_machine.travel(datetime(2025, 3, 11, 8, 0, 30, tzinfo=SGT), tick=False):
        notifications.deliver_due(10)
    assert len(mail.outbox) == 1


# --- Admin ---------------------------------------------------------------------------------


@pytest.fixture
def other_recruiter():
    user = UserFactory(username="otto", is_staff=True)
    user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    return user


@pytest.fixture
def two_rows(world, interviewer):
    ours = notify(reason="test.hello", obj=world.interview, recipient_email=interviewer.email)
    foreign_loop = LoopFactory(requisition=RequisitionFactory())
    theirs = notify(reason="test.hello", obj=foreign_loop, recipient_email="x@example.com")
    Notification.objects.filter(pk=theirs.pk).update(last_error="SMTPRecipientsRefused: 550")
    return ours, theirs


def test_recruiters_see_the_notifications_of_their_requisitions_only(
    client, recruiter, two_rows, django_assert_max_num_queries
):
    ours, theirs = two_rows
    client.force_login(recruiter)
    with django_assert_max_num_queries(15):
        page = client.get("/admin/hiring/notification/")
    assert page.status_code == 200
    text = page.content.decode()
    assert ours.recipient_email in text
    assert "x@example.com" not in text
    assert client.get(f"/admin/hiring/notification/{theirs.pk}/change/").status_code == 302
    assert client.get(f"/admin/hiring/notification/{ours.pk}/change/").status_code == 200


def test_a_superuser_sees_every_notification(client, two_rows):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    text = client.get("/admin/hiring/notification/?state=open").content.decode()
    assert "x@example.com" in text
    assert "SMTPRecipientsRefused" in text


def test_resend_creates_a_deliberate_new_send(client, world, recruiter, two_rows, hello):
    # given a notification that was sent
    ours, _ = two_rows
    notifications.deliver_due(10)
    sent_to_ours = [m for m in mail.outbox if m.to == [ours.recipient_email]]
    assert len(sent_to_ours) == 1

    # when the recruiter re-sends it from the admin
    client.force_login(recruiter)
    response = client.post(
        "/admin/hiring/notification/",
        {"action": "resend", "_selected_action": [ours.pk]},
    )
    assert response.status_code == 302

    # then a second row (resend 1) is due and goes out once, with its own Message-ID
    copy = Notification.objects.get(resend=1)
    assert (copy.reason, copy.object_id, copy.sequence) == (ours.reason, ours.object_id, 0)
    assert copy.created_by == recruiter
    notifications.deliver_due(10)
    sent_to_ours = [m for m in mail.outbox if m.to == [ours.recipient_email]]
    assert len(sent_to_ours) == 2
    assert len({m.extra_headers["Message-ID"] for m in sent_to_ours}) == 2
    # and the next scheduled occurrence still gets its own row
    following = notify(
        reason=ours.reason, obj=world.interview, recipient_email=ours.recipient_email, sequence=1
    )
    assert (following.sequence, following.resend) == (1, 0)


def test_a_recruiter_cannot_resend_another_requisitions_notification(
    client, other_recruiter, two_rows
):
    _, theirs = two_rows
    client.force_login(other_recruiter)
    client.post(
        "/admin/hiring/notification/",
        {"action": "resend", "_selected_action": [theirs.pk]},
    )
    assert not Notification.objects.filter(resend=1).exists()
    with pytest.raises(PermissionDenied):
        notifications.notification_resend(notification=theirs, by=other_recruiter)


def test_non_staff_cannot_open_the_notifications(client, interviewer, two_rows):
    client.force_login(interviewer)
    response = client.get("/admin/hiring/notification/")
    assert response.status_code == 302


def test_the_admin_login_page_still_opens_for_a_visitor(client):
    assert client.get("/admin/login/").status_code == 200
