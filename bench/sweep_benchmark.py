"""Time the reminder sweep on a production-sized database.

Starts its own throwaway PostgreSQL and Redis (scripts/services.sh on ports 54340/63840),
migrates, seeds 100,000 interviews with COPY (10,000 of them with overdue scorecards, 70,000
with submitted ones, 20,000 still to come) and 100,000 notifications of history, then times:

- the first sweep after the seed (every overdue seat gets its reminder, escalations and the
  recruiters' digests are written: the worst case, a sweep that has never run);
- a steady-state sweep (nothing new is due: what beat pays every minute);
- the delivery sweep (render + send through the in-memory backend + bookkeeping);

and prints EXPLAIN (ANALYZE, BUFFERS) of the sweep's query and of the delivery query.
Stops the services at the end, even on failure.

    .venv/bin/python bench/sweep_benchmark.py
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.services import running  # noqa: E402

PG_PORT, REDIS_PORT = "54340", "63840"
INTERVIEWS_PER_LOOP = 4
LOOPS = 25_000  # 100,000 interviews
OVERDUE_LOOPS = range(0, 2_500)  # 10,000 interviews ended 2 h to 13 days ago, no scorecard
RECENT_LOOPS = range(2_500, 5_000)  # 10,000 ended in the chase window, all submitted
OLD_LOOPS = range(5_000, 20_000)  # 60,000 ended 20-365 days ago, submitted, decided
# the rest, 20,000 interviews, are still to come
INTERVIEWERS, REQUISITIONS = 2_000, 20
ZONES = ["Europe/London", "America/New_York", "Asia/Singapore", "Europe/Berlin", "UTC"]


def daytime_zone() -> str:
    offset = 12 - datetime.now(UTC).hour
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def copy_rows(model: Any, rows: Iterable[dict[str, Any]]) -> int:
    """COPY rows (dicts by attname, explicit ids) into the model's table; then move the id
    sequence past them."""
    from django.db import connection

    fields = list(model._meta.concrete_fields)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    defaults = {
        f.attname: (f.get_default() if f.has_default() or not f.null else None) for f in fields
    }
    # A callable default (a random calendar UID, say) is called for every row, as a save would.
    per_row = [f for f in fields if f.has_default() and callable(f.default)]
    count = 0
    with connection.cursor() as cursor:
        with cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                values = {**defaults, **{f.attname: f.get_default() for f in per_row}, **row}
                copy.write_row([values[f.attname] for f in fields])
                count += 1
        table = model._meta.db_table
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
        )
    return count


def seed(now: datetime) -> dict[str, int]:
    from django.contrib.contenttypes.models import ContentType

    from hiring.delivery import notifications as n
    from hiring.models import (
        Candidate,
        Interview,
        Loop,
        Notification,
        Requisition,
        RoleProfile,
        User,
    )
    from scorecards.models import Scorecard

    profile = RoleProfile.objects.get(slug="vp-of-product")
    staff_zone = daytime_zone()
    people = [
        User(
            username=f"interviewer{i}", email=f"interviewer{i}@example.com", time_zone=ZONES[i % 5]
        )
        for i in range(INTERVIEWERS)
    ]
    recruiters = [
        User(username=f"recruiter{i}", email=f"recruiter{i}@example.com", time_zone=staff_zone)
        for i in range(REQUISITIONS)
    ]
    managers = [
        User(username=f"manager{i}", email=f"manager{i}@example.com", time_zone=staff_zone)
        for i in range(REQUISITIONS)
    ]
    User.objects.bulk_create(people + recruiters + managers)
    interviewer_ids = list(
        User.objects.filter(username__startswith="interviewer")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    recruiter_ids = {
        u.username: u.pk for u in User.objects.filter(username__startswith="recruiter")
    }
    manager_ids = {u.username: u.pk for u in User.objects.filter(username__startswith="manager")}
    requisitions = Requisition.objects.bulk_create(
        Requisition(
            title=f"VP of Product #{i}",
            profile=profile,
            hiring_manager_id=manager_ids[f"manager{i}"],
        )
        for i in range(REQUISITIONS)
    )
    Requisition.recruiters.through.objects.bulk_create(
        Requisition.recruiters.through(requisition_id=r.pk, user_id=recruiter_ids[f"recruiter{i}"])
        for i, r in enumerate(requisitions)
    )
    requisition_ids = [r.pk for r in requisitions]

    def loop_status(i: int) -> str:
        if i in OVERDUE_LOOPS:
            return "awaiting_feedback"
        if i in RECENT_LOOPS:
            return "ready_for_debrief"
        return "decided" if i in OLD_LOOPS else "scheduling"

    copy_rows(
        Candidate,
        (
            {"id": i + 1, "created_at": now, "updated_at": now, "full_name": f"Candidate {i}",
             "email": f"candidate{i}@example.com", "time_zone": "UTC"}
            for i in range(LOOPS)
        ),
    )  # fmt: skip
    copy_rows(
        Loop,
        (
            {"id": i + 1, "created_at": now - timedelta(days=30), "candidate_id": i + 1,
             "updated_at": now - timedelta(days=0 if i in OVERDUE_LOOPS else 2),
             "requisition_id": requisition_ids[i % REQUISITIONS], "status": loop_status(i)}
            for i in range(LOOPS)
        ),
    )  # fmt: skip

    def ends_at(loop: int, slot: int) -> datetime:
        k = loop * INTERVIEWS_PER_LOOP + slot
        if loop in OVERDUE_LOOPS:
            return now - timedelta(hours=2) - timedelta(minutes=(k * 7) % (13 * 24 * 60))
        if loop in RECENT_LOOPS:
            return now - timedelta(minutes=(k * 11) % (14 * 24 * 60))
        if loop in OLD_LOOPS:
            return now - timedelta(days=20 + k % 345)
        return now + timedelta(hours=1 + k % (30 * 24))

    interviews: list[dict[str, Any]] = []
    for loop in range(LOOPS):
        for slot in range(INTERVIEWS_PER_LOOP):
            k = loop * INTERVIEWS_PER_LOOP + slot
            end = ends_at(loop, slot)
            interviews.append(
                {"id": k + 1, "created_at": now, "updated_at": now, "loop_id": loop + 1,
                 "title": f"Interview {slot + 1}", "starts_at": end - timedelta(hours=1),
                 "ends_at": end, "time_zone": "UTC",
                 "status": "completed" if end < now else "scheduled", "calendar_sequence": 0,
                 "interviewer": interviewer_ids[k % INTERVIEWERS], "loop": loop}
            )  # fmt: skip
    copy_rows(Interview, interviews)
    copy_rows(
        Interview.interviewers.through,
        ({"id": i["id"], "interview_id": i["id"], "user_id": i["interviewer"]} for i in interviews),
    )
    submitted = [i for i in interviews if i["loop"] in RECENT_LOOPS or i["loop"] in OLD_LOOPS]
    copy_rows(
        Scorecard,
        (
            {"id": n_ + 1, "interview_id": i["id"], "interviewer_id": i["interviewer"],
             "status": "submitted", "first_submitted_at": i["ends_at"] + timedelta(hours=3),
             "last_submitted_at": i["ends_at"] + timedelta(hours=3), "created_at": i["ends_at"]}
            for n_, i in enumerate(submitted)
        ),
    )  # fmt: skip
    interview_ct = ContentType.objects.get_for_model(Interview).pk
    history = []
    for n_, i in enumerate(submitted[:60_000] + submitted[:40_000]):
        reason = n.SCORECARD_DUE if n_ < 60_000 else n.INTERVIEW_DAY_BEFORE
        due = (
            i["ends_at"] + timedelta(hours=1) if n_ < 60_000 else i["starts_at"] - timedelta(days=1)
        )
        history.append(
            {"id": n_ + 1, "reason": reason, "recipient_id": i["interviewer"],
             "recipient_email": f"interviewer{i['interviewer']}@example.com",
             "content_type_id": interview_ct, "object_id": i["id"], "sequence": 0, "resend": 0,
             "requisition_id": requisition_ids[i["loop"] % REQUISITIONS], "due_at": due,
             "status": "sent", "attempts": 1, "claimed_at": due, "sent_at": due,
             "subject": "history", "created_at": due}
        )  # fmt: skip
    copy_rows(Notification, history)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "interviews": len(interviews),
        "overdue seats": sum(1 for i in interviews if i["loop"] in OVERDUE_LOOPS),
        "submitted scorecards": len(submitted),
        "notifications of history": len(history),
    }


def explain(queryset: Any) -> str:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def full_sweep(now: datetime) -> tuple[float, int, int]:
    from scorecards.reminders import sweep as reminders

    started = time.perf_counter()
    scheduled, batches, after = 0, 0, 0
    while True:
        result = reminders.schedule_due_reminders(now=now, after_id=after)
        scheduled += result.scheduled
        batches += 1
        if result.next_after is None:
            break
        after = result.next_after
    return time.perf_counter() - started, scheduled, batches


def run() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from hiring.delivery import notifications
    from hiring.models import Notification
    from scorecards.reminders import sweep as reminders

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    now = timezone.now()
    counts = seed(now)
    print(f"seeded in {time.perf_counter() - started:.1f} s: {counts}")

    cold, scheduled, batches = full_sweep(now)
    print(f"first sweep (nothing scheduled yet): {cold * 1000:.0f} ms, {batches} batch(es) of "
          f"{reminders.SWEEP_BATCH} seats, {scheduled} notifications written")  # fmt: skip
    connection.cursor().execute("ANALYZE hiring_notification")
    timings = []
    for _ in range(3):
        steady, written, batches = full_sweep(now + timedelta(seconds=30))
        timings.append(steady)
    best, worst = min(timings) * 1000, max(timings) * 1000
    print(f"steady-state sweep (nothing new due): best {best:.0f} ms, worst {worst:.0f} ms, "
          f"{batches} batch(es), {written} written")  # fmt: skip

    query = reminders.overdue_batch_query(now=now, after_id=0, limit=reminders.SWEEP_BATCH)
    assert query is not None
    started = time.perf_counter()
    list(query)
    print(f"the sweep's query alone (one batch of {reminders.SWEEP_BATCH}): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")  # fmt: skip
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the sweep's query:\n")
    print(explain(query))

    due = Notification.objects.filter(status="pending", due_at__lte=now).order_by("due_at", "id")[
        :50
    ]
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the delivery sweep's query:\n")
    print(explain(due))

    pending = Notification.objects.filter(status="pending").count()
    started = time.perf_counter()
    taken = sum(notifications.deliver_due(50) for _ in range(10))
    elapsed = time.perf_counter() - started
    sent = Notification.objects.filter(status="sent", sent_at__gte=now).count()
    print(f"\ndelivery: {taken} notifications taken in 10 batches of 50 in {elapsed * 1000:.0f} ms "
          f"({elapsed / max(taken, 1) * 1000:.1f} ms each: render, claim, send to the in-memory "
          f"backend, mark sent); {sent} sent, {pending} were pending")  # fmt: skip


def main() -> None:
    with running(PG_PORT, REDIS_PORT, prefix="loopwise-bench."):
        os.environ.setdefault("QUIET_HOURS_START", "0")  # deterministic: no quiet hours,
        os.environ.setdefault("QUIET_HOURS_END", "0")  # whenever the benchmark runs
        os.environ.setdefault("LOG_LEVEL", "ERROR")
        import django

        django.setup()
        run()


if __name__ == "__main__":
    main()
