"""Scale-out, counted (issue 19): two web processes (gunicorn, as in production), two Celery
workers and two beat schedulers against one PostgreSQL and one Redis on loopback, the way
docker-compose.scale.yml runs them, except that beat is doubled on purpose: a second
scheduler started by mistake must cost work, never a second e-mail or webhook.

Six loops are driven to a decision through the two web processes in turn: the recruiter
sends the invites from the loop page (the admin's button, a real signed-in session), the
interviews end, the schedulers' reminder sweeps chase the missing scorecards, the
interviewers submit theirs through the API and the hiring manager records each decision
through the API, with a webhook subscription listening. Then every e-mail the database says
was sent must have reached the SMTP server (aiosmtpd) exactly once, by Message-ID, and every
webhook delivery the receiver exactly once, by Loopwise-Delivery and by event id; nothing
lost, nothing extra. The counts are printed in the terminal summary."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from hiring.delivery.notifications import REMINDER_REASONS, SCORECARD_DUE
from hiring.models import (
    Decision,
    Interview,
    Loop,
    Notification,
    OutboxEvent,
    User,
    WebhookDelivery,
)
from hiring.roles import RECRUITERS_GROUP
from hiring.services import CANDIDATE_SCHEDULE, INTERVIEW_INVITE
from tests.celery_worker import ROOT, WorkerProcess, wait_for, worker_environment
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory, UserFactory
from tests.hiring.test_webhooks import ALL_EVENTS, Receiver, serve, subscribe
from tests.reliability.conftest import FAULT_COUNTS, SmtpSink
from tests.tokens import bearer

SWEEPS_RUN_BY_EACH_WORKER = (
    "scorecards.tasks.schedule_reminders",
    "hiring.tasks.send_due_notifications",
)
LOOPS = 6
SWEEP_SECONDS = 2  # BEAT_SWEEP_SECONDS for both schedulers: a minute's sweeps every 2 s
PHASE_TIMEOUT = 180.0  # generous: the machine is shared
Panel = Interview.interviewers.through
INVITE_REASONS = (INTERVIEW_INVITE, CANDIDATE_SCHEDULE)


# --- Processes -------------------------------------------------------------------------------


def free_ports(count: int, first: int = 18100, last: int = 18199) -> list[int]:
    """``count`` ports in 181xx that nothing listens on now."""
    ports: list[int] = []
    for port in range(first, last + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError(f"fewer than {count} free ports in {first}-{last}")


@dataclass
class Process:
    """A background process of the deployment, its output in a log file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive():
            return
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: gunicorn's workers
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass
class Web:
    """One web process (gunicorn, two workers of its own) and a session signed in to it."""

    process: Process
    url: str
    requests_served: int = 0

    def ready(self) -> bool:
        if not self.process.alive():
            raise RuntimeError(f"{self.process.name} exited:\n{self.process.log()}")
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        return False


def gunicorn(name: str, port: int, env: dict[str, str], log_dir: Path) -> Web:
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        f"--bind=127.0.0.1:{port}", "--workers=2", "--timeout=60",
        "--access-logfile=-", "--error-logfile=-",
    ]  # fmt: skip
    process = Process(name, command, env, log_dir / f"{name}.log").start()
    return Web(process, f"http://127.0.0.1:{port}")


def beat(name: str, env: dict[str, str], tmp_path: Path) -> Process:
    """``celery -A config beat`` with a schedule file of its own, as a second scheduler
    started by mistake would have."""
    directory = tmp_path / name
    directory.mkdir()
    command = [
        sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
        "--schedule", str(directory / "celerybeat-schedule"),
        "--pidfile", str(directory / "beat.pid"),
    ]  # fmt: skip
    return Process(name, command, env, tmp_path / f"{name}.log").start()


@dataclass
class Client:
    """Calls alternating between the web processes: call n goes to web n mod 2."""

    webs: list[Web]
    calls: int = 0
    sessions: dict[str, requests.Session] = field(default_factory=dict)

    def next_web(self) -> Web:
        web = self.webs[self.calls % len(self.webs)]
        self.calls += 1
        web.requests_served += 1
        return web

    def api(self, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
        web = self.next_web()
        headers = {"Authorization": f"Bearer {token}"}
        return requests.request(method, web.url + path, headers=headers, timeout=30, **kwargs)

    def sign_in(self, user: User, password: str = "pw") -> requests.Session:
        """A browser's session: signed in on one web process, used on both (the session is
        in the database they share)."""
        session = requests.Session()
        web = self.next_web()
        session.get(f"{web.url}/admin/login/", timeout=30).raise_for_status()
        answer = session.post(
            f"{web.url}/admin/login/",
            data={
                "username": user.username,
                "password": password,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
                "next": "/admin/",
            },
            timeout=30,
        )
        assert answer.status_code == 200, answer.text[:2000]
        assert answer.url.endswith("/admin/"), answer.text[:2000]  # signed in, not the form again
        self.sessions[user.username] = session
        return session

    def admin_post(self, session: requests.Session, path: str, data: dict[str, str]) -> None:
        web = self.next_web()
        answer = session.post(
            web.url + path,
            data={**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            timeout=30,
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.text[:2000]


def ran_every_sweep(workers: list[Any]) -> bool:
    return all(
        f"Task {task}[" in worker.log() for worker in workers for task in SWEEPS_RUN_BY_EACH_WORKER
    )


def wait(what: str, predicate: Callable[[], object], processes: list[Any]) -> None:
    """Poll until ``predicate()``; on time-out, say what and show the processes' last lines.
    ``processes``: ours and the workers (``name``, ``process``, ``log()``), all still up."""
    try:
        wait_for(predicate, timeout=PHASE_TIMEOUT, interval=0.25)
    except TimeoutError:
        tails = "\n".join(f"--- {p.name}\n{p.log()[-3000:]}" for p in processes)
        raise AssertionError(f"timed out waiting for {what}\n{tails}") from None
    for process in processes:
        assert process.process.poll() is None, f"{process.name} died:\n{process.log()[-5000:]}"


# --- The world -------------------------------------------------------------------------------


@dataclass
class People:
    recruiter: User
    hiring_manager: User
    interviewers: list[User]


def person(username: str, **fields: Any) -> User:
    user: User = UserFactory(username=username, **fields)
    return user


def staff_loops(count: int) -> tuple[People, list[Loop]]:
    """One requisition with ``count`` loops, each two interviews three days ahead, one per
    interviewer; committed, so every process sees them."""
    recruiter = person("rita", is_staff=True)
    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    people = People(
        recruiter=recruiter,
        hiring_manager=person("hugo"),
        interviewers=[
            person("iris", time_zone="Europe/London"),
            person("jonas", time_zone="Europe/Berlin"),
        ],
    )
    requisition = RequisitionFactory(hiring_manager=people.hiring_manager, recruiters=[recruiter])
    starts = timezone.now() + timedelta(days=3)
    loops = []
    for _ in range(count):
        loop = LoopFactory(requisition=requisition)
        for n, interviewer in enumerate(people.interviewers):
            InterviewFactory(
                loop=loop,
                title=f"Interview {n + 1}",
                starts_at=starts + timedelta(hours=2 * n),
                interviewers=[interviewer],
            )
        loops.append(loop)
    return people, loops


def scorecard(interview: Interview) -> dict[str, Any]:
    """A complete scorecard as the API takes it."""
    return {
        "ratings": [
            {"dimension": pk, "rating": 3, "evidence": "Concrete example with numbers."}
            for pk in interview.focus_dimensions.values_list("pk", flat=True)
        ],
        "overall_recommendation": "yes",
        "key_takeaways": "Strong strategist.",
    }


def sent(reasons: Any) -> int:
    return Notification.objects.filter(reason__in=reasons, status=Notification.Status.SENT).count()


def drained(sink: SmtpSink, receiver: Receiver) -> bool:
    """Nothing left to do: the outbox handled, no e-mail or webhook waiting or in flight, and
    the servers have seen as many as the database says went out."""
    busy = (Notification.Status.PENDING, Notification.Status.SENDING)
    return (
        not OutboxEvent.objects.filter(processed_at__isnull=True).exists()
        and not Notification.objects.filter(status__in=busy).exists()
        and not WebhookDelivery.objects.exclude(status="delivered").exists()
        and len(sink.accepted) >= Notification.objects.filter(status="sent").count()
        and len(receiver.accepted) >= WebhookDelivery.objects.count()
    )


# --- Counting --------------------------------------------------------------------------------


@dataclass
class Tally:
    kind: str
    expected: int
    once: int
    duplicate: int
    lost: int
    unexpected: int

    def line(self) -> str:
        return f"{self.kind} {self.once}/{self.expected} once"


def tally_emails(kind: str, rows: list[Notification], sink: SmtpSink) -> Tally:
    """The rows' e-mails at the SMTP server, by Message-ID (and each message's notification
    header, recipient and row agreeing)."""
    ids = {row.message_id: row for row in rows}
    seen = Counter(m["message_id"] for m in sink.accepted if m["message_id"] in ids)
    for message in sink.accepted:
        row = ids.get(message["message_id"])
        if row is not None:
            assert message["notification"] == str(row.pk), message
            assert message["to"].lower() == row.recipient_email.lower(), message
    return Tally(
        kind,
        expected=len(rows),
        once=sum(1 for n in seen.values() if n == 1),
        duplicate=sum(n - 1 for n in seen.values()),
        lost=sum(1 for row in rows if seen[row.message_id] == 0),
        unexpected=0,
    )


def tally_webhooks(receiver: Receiver) -> Tally:
    deliveries = list(WebhookDelivery.objects.all())
    expected = {str(d.event_id) for d in deliveries}
    by_delivery = Counter(receiver.deliveries())
    by_event = Counter(item["body"]["id"] for item in receiver.accepted)
    assert all(item["valid"] for item in receiver.requests), "a signature did not verify"
    return Tally(
        "webhooks",
        expected=len(expected),
        once=sum(1 for d in expected if by_delivery[d] == 1),
        duplicate=sum(n - 1 for n in by_delivery.values()) + sum(n - 1 for n in by_event.values()),
        lost=sum(1 for d in expected if by_delivery[d] == 0),
        unexpected=sum(1 for d in by_delivery if d not in expected),
    )


# --- The test --------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve() as running:
        yield running


@pytest.mark.worker
@pytest.mark.timeout(900)
def test_two_webs_two_workers_two_schedulers_deliver_everything_exactly_once(
    celery_workers: list[WorkerProcess],
    smtp_server: tuple[SmtpSink, int],
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql") or not (
        settings.CELERY_BROKER_URL.startswith("redis")
    ):
        pytest.skip("scale-out runs on PostgreSQL and Redis (the first pass of make test)")
    sink, smtp_port = smtp_server
    people, loops = staff_loops(LOOPS)
    subscribe(receiver)
    tokens = {u.username: bearer(u) for u in [people.hiring_manager, *people.interviewers]}

    # given the deployment doubled: every process on the same database, broker and servers
    env = worker_environment() | {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "30",
        "QUIET_HOURS_START": "0",  # equal: no quiet hours, reminders go out whatever the hour
        "QUIET_HOURS_END": "0",
        "BEAT_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "NOTIFICATION_RETRY_BASE_SECONDS": "1",
        "NOTIFICATION_RETRY_MAX_SECONDS": "4",
        "WEBHOOK_RETRY_BASE_SECONDS": "1",
        "WEBHOOK_RETRY_MAX_SECONDS": "4",
    }
    processes: list[Process] = []
    try:
        webs = [
            gunicorn(f"web-{n}", port, env, tmp_path)
            for n, port in enumerate(free_ports(2), start=1)
        ]
        processes += [web.process for web in webs]
        for web in webs:
            wait_for(web.ready, timeout=60, interval=0.2)
        for _ in range(2):  # both on every queue: each sweep and send is raced for
            worker = WorkerProcess(tmp_path, concurrency=2, extra_env=env).start(timeout=60)
            celery_workers.append(worker)
        beats = [beat(f"beat-{n}", env, tmp_path) for n in (1, 2)]
        processes += beats
        workers = list(celery_workers)
        everything: list[Any] = [*processes, *workers]
        client = Client(webs)

        # when the recruiter sends each loop's invites from its page, on the webs in turn
        session = client.sign_in(people.recruiter)
        for loop in loops:
            client.admin_post(
                session, f"/admin/hiring/loop/{loop.pk}/run/send_invites/", {"confirm": "yes"}
            )
        panel = Panel.objects.filter(interview__loop__in=loops)
        invites_due = panel.count() + len(loops)  # each panel seat, each candidate's schedule
        assert Notification.objects.filter(reason__in=INVITE_REASONS).count() == invites_due
        wait("the invites to be sent", lambda: sent(INVITE_REASONS) == invites_due, everything)

        # and the interviews take place: they ended 90 minutes ago, the scorecards are due
        # (an hour after the end) and nobody has written one
        now = timezone.now()
        Interview.objects.filter(loop__in=loops).update(
            starts_at=now - timedelta(minutes=150), ends_at=now - timedelta(minutes=90)
        )
        seats = set(panel.values_list("interview_id", "user_id"))

        def chased() -> bool:
            due = Notification.objects.filter(reason=SCORECARD_DUE, status="sent", sequence=0)
            return set(due.values_list("object_id", "recipient_id")) == seats

        wait("each owed scorecard to be chased by the reminder sweep", chased, everything)

        # and the interviewers submit through the API, alternating between the webs
        for interview in Interview.objects.filter(loop__in=loops).order_by("pk"):
            author = interview.interviewers.get()
            answer = client.api(
                "POST",
                f"/api/v1/interviews/{interview.pk}/scorecard/submit/",
                tokens[author.username],
                json=scorecard(interview),
            )
            assert answer.status_code in (200, 201), answer.text

        # and the hiring manager decides each loop once it is ready for debrief
        manager = tokens[people.hiring_manager.username]
        for loop in loops:

            def ready(loop: Loop = loop) -> bool:
                answer = client.api("GET", f"/api/v1/loops/{loop.pk}/", manager)
                return bool(answer.json()["status"] == Loop.Status.READY_FOR_DEBRIEF)

            wait(f"loop {loop.pk} to be ready for debrief", ready, everything)
            answer = client.api(
                "POST",
                f"/api/v1/loops/{loop.pk}/decisions/",
                manager,
                json={"outcome": "hire", "rationale": "Clear strategist, strong panel."},
            )
            assert answer.status_code == 201, answer.text

        # then, once everything is delivered, each went out exactly once
        wait("everything to be delivered", lambda: drained(sink, receiver), everything)

        # (each worker takes its share of the sweeps both schedulers send; one that has not
        # run a kind yet is given the time to, rather than the test ending before it could)
        wait("each worker to have run the sweeps", lambda: ran_every_sweep(workers), everything)
    finally:
        for process in processes:
            process.stop()
        for worker in celery_workers:
            worker.stop()
        celery_workers.clear()

    # the collision really happened: both schedulers sent the sweeps, both workers ran them
    for scheduler in beats:
        for entry in ("schedule-reminders", "send-due-notifications", "deliver-webhooks"):
            assert f"Sending due task {entry} " in scheduler.log(), (scheduler.name, entry)
    for worker in workers:
        for task in SWEEPS_RUN_BY_EACH_WORKER:
            assert f"Task {task}[" in worker.log(), (worker.name, task)
    assert all(web.requests_served >= LOOPS for web in webs)

    # and the database agrees with what the flow should have produced
    assert Decision.objects.filter(loop__in=loops, is_current=True).count() == LOOPS
    assert not Notification.objects.exclude(status__in=("sent", "cancelled")).exists()
    events = Counter(
        OutboxEvent.objects.filter(topic__in=ALL_EVENTS).values_list("topic", flat=True)
    )
    assert events["scorecard.submitted"] == len(seats)
    assert events["decision.recorded"] == events["loop.ready_for_debrief"] == LOOPS
    assert Counter(item["event"] for item in receiver.accepted) == events

    rows = list(Notification.objects.filter(status="sent"))
    invites = [r for r in rows if r.reason in INVITE_REASONS]
    reminders = [r for r in rows if r.reason in REMINDER_REASONS]
    others = [r for r in rows if r not in invites and r not in reminders]
    assert len(invites) == invites_due
    assert len(reminders) >= len(seats)
    tallies = [
        tally_emails("invites", invites, sink),
        tally_emails("reminders", reminders, sink),
        tally_emails("other e-mails", others, sink),
        tally_webhooks(receiver),
    ]
    all_ids = {r.message_id for r in rows}
    unexpected_mail = sum(1 for m in sink.accepted if m["message_id"] not in all_ids)
    duplicate = sum(t.duplicate for t in tallies)
    lost = sum(t.lost for t in tallies)
    unexpected = sum(t.unexpected for t in tallies) + unexpected_mail
    FAULT_COUNTS.append(
        f"scale-out: {len(webs)} web, {len(workers)} workers, {len(beats)} schedulers: "
        + ", ".join(t.line() for t in tallies)
        + f", {duplicate} duplicate, {lost} lost, {unexpected} unexpected"
    )
    assert (duplicate, lost, unexpected) == (0, 0, 0), FAULT_COUNTS[-1]
    assert all(t.once == t.expected for t in tallies), FAULT_COUNTS[-1]
