"""One installation's run of a hiring loop, reporting every id that left it: run by
``test_two_installations.py`` in a subprocess per installation (each its own fresh database),
never collected on its own (the file name does not match ``test_*.py``).

The ids are read where a receiver sees them: the ``Loopwise-Delivery`` header and the body's
``id`` at a real webhook receiver on loopback, and the Message-ID and the invite's iCalendar
UID at a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone

from hiring import services
from hiring.delivery import notifications, webhooks
from hiring.models import WebhookDelivery
from tests.hiring.test_webhooks import Receiver, dispatch_all, serve, subscribe
from tests.reliability.conftest import SmtpSink, free_port
from tests.reliability.test_webhooks_delivery import run_the_loop

OUT = "LOOPWISE_IDS_OUT"


class RawSmtpSink(SmtpSink):
    """The counting SMTP server, keeping each accepted message whole (for its .ics)."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if answer.startswith("250"):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, email.message.EmailMessage)
            self.raw.append(message)
        return answer

    def calendar_uids(self) -> set[str]:
        uids = set()
        for message in self.raw:
            for part in message.walk():
                if part.get_content_type() == "text/calendar":
                    for line in str(part.get_content()).splitlines():
                        if line.startswith("UID:"):
                            uids.add(line.removeprefix("UID:").strip())
        return uids


@pytest.fixture
def raw_smtp(settings: Any) -> Iterator[RawSmtpSink]:
    sink = RawSmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    try:
        yield sink
    finally:
        controller.stop()


def drive(
    world: Any,
    recruiter: Any,
    interviewer: Any,
    other_interviewer: Any,
    hiring_manager: Any,
    receiver: Receiver,
    sink: RawSmtpSink,
) -> dict[str, list[str]]:
    """Invite the panel, run the loop to a decision, deliver everything; the ids seen."""
    subscribe(receiver)
    # the panel is invited three days ahead of its interviews (the factories put them a day ago)
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=True):
        assert services.loop_send_invites(loop=world.loop, by=recruiter) > 0
        while notifications.deliver_due(50):
            pass
    run_the_loop(world, interviewer, other_interviewer, hiring_manager)
    dispatch_all()
    while notifications.deliver_due(50):
        pass
    while webhooks.deliver_due():
        pass
    assert not WebhookDelivery.objects.exclude(status="delivered").exists()
    return {
        "delivery ids": receiver.deliveries(),
        "event ids": [item["body"]["id"] for item in receiver.accepted],
        "calendar UIDs": sorted(sink.calendar_uids()),
        "Message-IDs": sorted(sink.message_ids()),
    }


@pytest.mark.django_db
def test_one_installation(
    world: Any,
    recruiter: Any,
    interviewer: Any,
    other_interviewer: Any,
    hiring_manager: Any,
    raw_smtp: RawSmtpSink,
) -> None:
    out = os.environ.get(OUT)
    if not out:
        pytest.skip(f"run by test_two_installations.py, which sets {OUT}")
    with serve() as receiver:
        ids = drive(
            world, recruiter, interviewer, other_interviewer, hiring_manager, receiver, raw_smtp
        )
    Path(out).write_text(json.dumps(ids))
