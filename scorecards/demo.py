"""The demo data set of `make run`: one VP of Product requisition and loops at every stage,
so a newcomer can click through as recruiter, interviewer and hiring manager.

Idempotent: if the demo recruiter exists, nothing is created again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from hiring import attachments, debriefs, privacy
from hiring.decisions import decision_record
from hiring.delivery import webhooks
from hiring.models import (
    Candidate,
    Decision,
    Interview,
    Loop,
    OutboxEvent,
    PlanSlot,
    Requisition,
    RoleProfile,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from hiring.models.delivery import WEBHOOK_EVENTS
from hiring.roles import RECRUITERS_GROUP
from scorecards import services
from scorecards.services import RatingInput, ScorecardContent

DEMO_PASSWORD = "loopwise-demo"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    time_zone: str
    leniency: int  # how this interviewer tends to rate, in points


ADMIN = DemoPerson("admin", "Ada", "Admin", "UTC", 0)
RECRUITER = DemoPerson("recruiter", "Rita", "Reyes", "Europe/London", 0)
HIRING_MANAGER = DemoPerson("manager", "Hugo", "Marsh", "America/New_York", 0)
INTERVIEWERS = [
    DemoPerson("iris", "Iris", "Okafor", "Europe/London", 1),
    DemoPerson("jonas", "Jonas", "Weber", "Europe/Berlin", 0),
    DemoPerson("kenji", "Kenji", "Sato", "Asia/Singapore", -1),
    DemoPerson("lena", "Lena", "Novak", "America/New_York", 0),
    DemoPerson("marco", "Marco", "Rossi", "America/Los_Angeles", 0),
]

# (title, minutes, focus dimension slugs, case exercise slug)
PANEL = [
    (
        "Portfolio strategy case",
        120,
        ["product-strategy", "portfolio-prioritization", "commercial-acumen"],
        "portfolio-strategy-case",
    ),
    (
        "Metrics and funnel deep-dive",
        60,
        ["metrics-analytics", "customer-market"],
        "metrics-and-funnel-deep-dive",
    ),
    (
        "Roadmap triage simulation",
        45,
        ["execution-operating-model", "cross-functional-leadership"],
        "roadmap-triage-simulation",
    ),
    ("Leadership scenario", 45, ["people-leadership", "values-judgment"], "leadership-scenario"),
    ("Executive conversation", 60, ["communication", "values-judgment", "customer-market"], ""),
]

# (name, e-mail, ability, days from now of the first interview, submitted, drafts, status)
CANDIDATES = [
    ("Amara Diallo", "amara.diallo@example.com", 1, -9, 5, 0, Loop.Status.READY_FOR_DEBRIEF),
    ("Bruno Costa", "bruno.costa@example.com", 0, -5, 3, 1, Loop.Status.AWAITING_FEEDBACK),
    ("Chen Wei", "chen.wei@example.com", -1, -8, 5, 0, Loop.Status.READY_FOR_DEBRIEF),
    ("Dana Levi", "dana.levi@example.com", 0, -1, 1, 1, Loop.Status.IN_PROGRESS),
    ("Elif Kaya", "elif.kaya@example.com", 0, 3, 0, 0, Loop.Status.SCHEDULING),
    ("Farid Haddad", "farid.haddad@example.com", 0, 6, 0, 0, Loop.Status.WITHDRAWN),
]

EVIDENCE = {
    4: "Went well beyond the bar: concrete examples, numbers, and the trade-offs named unprompted.",
    3: "Solid and specific: met the bar with a clear example and sensible reasoning.",
    2: "Mixed: the right ideas, but thin on evidence when pressed for specifics.",
    1: "Below the bar: generic answers and no example that held up to follow-up questions.",
}
RECOMMENDATION = {4: "strong_yes", 3: "yes", 2: "no", 1: "strong_no"}
BRUNO = "bruno.costa@example.com"


def _user(person: DemoPerson, **extra: bool) -> User:
    user = User.objects.create_user(
        username=person.username,
        email=f"{person.username}@loopwise.example",
        password=DEMO_PASSWORD,
        first_name=person.first_name,
        last_name=person.last_name,
        time_zone=person.time_zone,
        **extra,
    )
    return user


def seed_demo(now: datetime | None = None) -> bool:
    """Create the demo data set; return False when it already exists."""
    if User.objects.filter(username=RECRUITER.username).exists():
        return False
    now = now or timezone.now()
    with transaction.atomic():
        _user(ADMIN, is_staff=True, is_superuser=True)
        recruiter = _user(RECRUITER, is_staff=True)
        recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
        manager = _user(HIRING_MANAGER)
        interviewers = [_user(person) for person in INTERVIEWERS]
        profile = RoleProfile.objects.get(slug="vp-of-product")
        requisition = Requisition.objects.create(
            title="VP of Product, Payments", profile=profile, hiring_manager=manager
        )
        requisition.recruiters.add(recruiter)
        for index, row in enumerate(CANDIDATES):
            _demo_loop(requisition, interviewers, index, row, now)
    _demo_calendars(interviewers, now)
    # Calibrated summaries for every loop, as the nightly task would leave them.
    from scorecards.calibration import summaries

    with transaction.atomic():
        _demo_manager_on_panel(requisition, manager, now)
        _demo_personal_data(requisition, recruiter, manager, now)
    with transaction.atomic():
        _demo_sourcing(manager, recruiter, now)
    _demo_booking(recruiter, now)
    with transaction.atomic():
        _demo_history(recruiter, manager, interviewers, now)
    _demo_leniency_history(now)
    summaries.calibration_refit()
    # The open loops as the nightly refresh leaves them (its record is in the admin), then
    # the decided and withdrawn ones, which the nightly refresh no longer touches.
    summaries.refresh_open_summaries()
    summaries.loop_summaries_compute(
        Loop.objects.filter(summary__isnull=True).values_list("pk", flat=True)
    )
    _demo_debrief(requisition, recruiter, manager, now)
    _demo_stage_history(now)
    # As the nightly retention sweep would leave it: the long-decided candidate anonymised.
    privacy.anonymise_expired(now=now)
    _demo_webhooks(now)
    if connection.vendor == "postgresql":
        # After a bulk load, fresh planner statistics, as autovacuum would soon gather: on a
        # database analysed while nearly empty (a test database), the policy's nested
        # subqueries were otherwise planned as if every table held a row or two.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return True


SOURCED = 56  # more than a page of the pipeline (50), so paging shows


def _demo_sourcing(manager: User, recruiter: User, now: datetime) -> None:
    """A second, busier requisition: candidates sourced three weeks ago, no interview yet,
    so the hiring manager's pipeline runs to a second page and its filters have work to do.
    Their loops are older than the first requisition's, whose loops (with interviews,
    scorecards and summaries) open the recruiter's loop list, newest first."""
    profile = RoleProfile.objects.get(slug="vp-of-product")
    requisition = Requisition.objects.create(
        title="VP of Product, Marketplace", profile=profile, hiring_manager=manager
    )
    requisition.recruiters.add(recruiter)
    _demo_marketplace_plan(requisition)
    _demo_scheduling(requisition)
    for number in range(1, SOURCED + 1):
        candidate = privacy.candidate_save(
            candidate=Candidate(
                full_name=f"Sourced Candidate {number:02d}",
                email=f"sourced.{number:02d}@example.com",
                current_title="Head of Product",
                source="Sourcing campaign",
                time_zone="Europe/London",
            ),
            by=recruiter,
        )
        Loop.objects.create(candidate=candidate, requisition=requisition)
    Loop.objects.filter(requisition=requisition).update(created_at=now - timedelta(days=21))


def _demo_marketplace_plan(requisition: Requisition) -> None:
    """The Marketplace requisition's own, shorter plan, with a pool per slot from the demo's
    interviewers: "Propose schedules" on any of its sourced loops has people to place."""
    dimensions = {d.slug: d for d in requisition.profile.dimensions.all()}
    people = {person.username: person for person in User.objects.filter(
        username__in=["iris", "jonas", "lena", "kenji", "marco"])}  # fmt: skip
    plan = [
        ("product-sense", "Product sense", 60, ["iris", "jonas"],
         ["product-strategy", "customer-market-insight"]),
        ("execution", "Execution deep-dive", 45, ["jonas", "lena", "iris"],
         ["execution-operating-model", "metrics-analytics"]),
        ("leadership", "Leadership and values", 45, ["lena", "marco", "kenji", "iris"],
         ["people-leadership", "values-judgment"]),
    ]  # fmt: skip
    for position, (slug, title, minutes, pool, focus) in enumerate(plan, start=1):
        slot = PlanSlot.objects.create(
            requisition=requisition, position=position, slug=slug, title=title, minutes=minutes
        )
        slot.pool.set([people[name] for name in pool if name in people])
        slot.focus_dimensions.set([dimensions[d] for d in focus if d in dimensions])


def _demo_scheduling(requisition: Requisition) -> None:
    """Issue 17: Iris (London) interviews Monday to Thursday, 09:30-16:00, at most two a day;
    Lena (New York) mornings only, one a day; everyone else has the defaults. Marco is in
    training on the Marketplace leadership slot, reverse-shadowing: the load view and the
    loop's plan show it, and proposals do not give him the slot to hold yet."""
    from datetime import time

    from hiring.models import SchedulingProfile, TrainingRecord

    people = {u.username: u for u in User.objects.filter(username__in=["iris", "lena", "marco"])}
    weekdays = ("mon", "tue", "wed", "thu")
    SchedulingProfile.objects.create(
        user=people["iris"],
        **{f"{day}_start": time(9, 30) for day in weekdays},
        **{f"{day}_end": time(16) for day in weekdays},
        fri_start=None,
        fri_end=None,
        day_limit=2,
        week_limit=6,
    )
    SchedulingProfile.objects.create(
        user=people["lena"],
        **{f"{day}_start": time(8) for day in (*weekdays, "fri")},
        **{f"{day}_end": time(12) for day in (*weekdays, "fri")},
        day_limit=1,
        week_limit=4,
    )
    TrainingRecord.objects.create(
        person=people["marco"],
        plan_slot=PlanSlot.objects.get(requisition=requisition, slug="leadership"),
        state_set=TrainingRecord.State.REVERSE_SHADOWING,
    )


BOOKING_CANDIDATES = ("Sourced Candidate 01", "Sourced Candidate 02")


def _demo_booking(recruiter: User, now: datetime) -> None:
    """Issue 17: the first sourced Marketplace candidate has a booking link waiting (its
    address is printed by ``seed_demo``); the second booked a schedule through theirs, so
    the panel has invites and the link shows the booked page with reschedule and cancel."""
    from hiring.scheduling import booking

    first_day = (now + timedelta(days=2)).date()
    links = []
    for name in BOOKING_CANDIDATES:
        loop = Loop.objects.get(candidate__full_name=name)
        links.append(
            booking.booking_link_send(loop=loop, by=recruiter, first_day=first_day, days=10)
        )
    booked = links[1]
    options = booking.options_for(booked, booking.zone_or_default(booked, None), fresh=True)
    if options:
        booking.candidate_book(
            token=booking.token_for(booked), zone="Europe/London", signed=options[0].signed
        )


def demo_booking_link() -> str | None:
    """The waiting demo candidate's booking address, for ``seed_demo`` to print."""
    from hiring.models import BookingLink
    from hiring.scheduling import booking

    link = BookingLink.objects.filter(
        loop__candidate__full_name=BOOKING_CANDIDATES[0], status=BookingLink.Status.OPEN
    ).first()
    return booking.link_url(link) if link else None


def _demo_manager_on_panel(requisition: Requisition, manager: User, now: datetime) -> None:
    """The hiring manager met Bruno Costa too and has not written it up: the blind rule hides
    Bruno's summary from them until they do."""
    loop = Loop.objects.get(requisition=requisition, candidate__email=BRUNO)
    start = (now - timedelta(days=4)).replace(hour=10, minute=0, second=0, microsecond=0)
    interview = Interview.objects.create(
        loop=loop,
        title="Hiring manager conversation",
        starts_at=start,
        ends_at=start + timedelta(minutes=45),
        time_zone="America/New_York",
        video_url=f"https://meet.example.com/loopwise-{loop.pk}-hm",
    )
    interview.interviewers.add(manager)
    interview.focus_dimensions.set(requisition.profile.dimensions.filter(slug="communication"))


def _demo_debrief(requisition: Requisition, recruiter: User, manager: User, now: datetime) -> None:
    """Chen Wei's loop is ready for debrief: the recruiter has booked it for tomorrow and the
    discussion has started (issue 18). Amara Diallo's waits for one, to schedule by hand."""
    loop = Loop.objects.get(requisition=requisition, candidate__email="chen.wei@example.com")
    start = (now + timedelta(days=1)).replace(hour=16, minute=0, second=0, microsecond=0)
    debriefs.debrief_schedule(
        loop=loop,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        time_zone="UTC",
        location="Harbour room, 3rd floor",
        video_url=f"https://meet.example.com/loopwise-{loop.pk}-debrief",
        by=recruiter,
    )
    debriefs.comment_post(
        loop=loop,
        body=f"@{manager.username} the panel split on commercial acumen: the pricing case "
        "went well, the portfolio case less so. Worth most of the debrief.",
        by=recruiter,
    )
    debriefs.comment_post(
        loop=loop,
        body="Agreed. I'd like the case interviewers to bring the numbers they heard.",
        by=manager,
    )


def _demo_stage_history(now: datetime) -> None:
    """The stage history the pipeline analytics read (issue 18), for the loops the demo wrote
    directly: created a week before their first interview, in progress from it, awaiting
    feedback after the last, ready for debrief a day later, then decided (at the decision) or
    withdrawn, as far as each loop got by ``now``."""
    from hiring.models import Decision, LoopStageChange

    S = Loop.Status
    order: list[str] = [S.SCHEDULING, S.IN_PROGRESS, S.AWAITING_FEEDBACK, S.READY_FOR_DEBRIEF]
    decided = dict(Decision.objects.filter(is_current=True).values_list("loop_id", "decided_at"))
    spans: dict[int, list[datetime]] = {}
    for loop_id, start, end in (
        Interview.objects.exclude(status=Interview.Status.CANCELLED)
        .order_by("starts_at")
        .values_list("loop_id", "starts_at", "ends_at")
    ):
        spans.setdefault(loop_id, []).extend([start, end])
    made = LoopStageChange.objects.filter(from_status="").values("loop_id")
    rows = []
    for loop in Loop.objects.exclude(pk__in=made).only("pk", "status", "created_at"):
        times = spans.get(loop.pk, [])
        end_at = decided.get(loop.pk, now)
        created = min([loop.created_at, *(t - timedelta(days=7) for t in times[:1])])
        moments = [created]
        if times and times[0] <= end_at:
            moments.append(times[0])
        if times and max(times) <= end_at:
            moments += [max(times), max(times) + timedelta(days=1)]
        reached = order.index(loop.status) + 1 if loop.status in order else len(moments)
        steps = list(zip(order, moments, strict=False))[:reached]
        if steps[-1][0] != loop.status:  # closed (decided, or withdrawn just now), or ahead
            steps.append((loop.status, max(end_at, steps[-1][1])))
        rows += [
            LoopStageChange(loop=loop, from_status=before, to_status=to, at=min(at, end_at))
            for (before, _), (to, at) in zip([("", None), *steps], steps, strict=False)
        ]
        Loop.objects.filter(pk=loop.pk).update(created_at=created)
    LoopStageChange.objects.filter(loop__in=[row.loop for row in rows]).delete()
    LoopStageChange.objects.bulk_create(rows)


def _demo_personal_data(
    requisition: Requisition, recruiter: User, manager: User, now: datetime
) -> None:
    """DESIGN §7: an edit in Amara's audit trail, Farid erased at his request, and Gustav,
    decided more than the retention period ago, for the retention sweep to anonymise."""
    amara = Candidate.objects.get(email="amara.diallo@example.com")
    amara.phone, amara.location = "+351 21 000 0000", "Lisbon"
    amara.recruiter_notes = "Three months' notice; open to relocating."
    privacy.candidate_save(candidate=amara, by=recruiter)
    amara.location = "London"
    privacy.candidate_save(candidate=amara, by=recruiter)
    attachments.attachment_add(
        candidate=amara,
        file=SimpleUploadedFile(
            "Amara Diallo - CV.pdf", one_page_pdf("Amara Diallo: CV"), "application/pdf"
        ),
        kind="cv",
        by=recruiter,
    )
    farid = Candidate.objects.get(email="farid.haddad@example.com")
    privacy.candidate_erase(
        candidate=farid, by=recruiter, reason="The candidate asked us to delete their data."
    )
    gustav = privacy.candidate_save(
        candidate=Candidate(
            full_name="Gustav Lind",
            email="gustav.lind@example.com",
            current_title="Head of Product",
            source="Inbound",
        ),
        by=recruiter,
    )
    loop = Loop.objects.create(candidate=gustav, requisition=requisition)
    decision = decision_record(
        loop=loop, outcome="no_hire", rationale="Not the scale we need yet.", by=manager
    )
    long_ago = now - timedelta(days=settings.CANDIDATE_RETENTION_DAYS + 30)
    Decision.objects.filter(pk=decision.pk).update(decided_at=long_ago)


def one_page_pdf(title: str) -> bytes:
    """A small, valid one-page PDF saying ``title``: the demo's CV."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _demo_webhooks(now: datetime) -> None:
    """A paused subscription (its URL is an example: nothing is sent) with a short delivery
    log of the demo's first events, so the admin shows what a working integration leaves."""
    subscription = WebhookSubscription.objects.create(
        name="Demo ATS (paused)",
        url="https://ats.example.com/loopwise/webhooks",
        events=[name for name, _ in WEBHOOK_EVENTS],
        is_active=False,
        created_by=User.objects.get(username=ADMIN.username),
    )
    events = OutboxEvent.objects.filter(topic__in=subscription.events).order_by("id")[:3]
    rows = [webhooks.deliveries_for(event, [subscription])[0] for event in events]
    # (answers, delivered?): the first went through, the second after a retry, the last
    # found the receiver down for maintenance and gave up (see "Retry now").
    outcomes = [([200], True), ([503, 200], True), ([503, 503, 503], False)]
    for row, (answers, delivered) in zip(rows, outcomes, strict=False):
        log = [
            {
                "at": (now + timedelta(minutes=attempt)).isoformat(),
                "status": status,
                "response": "ok" if status == 200 else "Service Unavailable",
                "ms": 80 + 15 * attempt,
            }
            for attempt, status in enumerate(answers)
        ]
        row.attempts = len(answers)
        row.attempt_log = log
        row.response_status = answers[-1]
        if delivered:
            row.status = WebhookDelivery.Status.DELIVERED
            row.delivered_at = now + timedelta(minutes=len(answers) - 1)
        else:
            row.status = WebhookDelivery.Status.FAILED
            row.last_error = "HTTP 503: Service Unavailable"
    WebhookDelivery.objects.bulk_create(rows)


def _demo_loop(
    requisition: Requisition,
    interviewers: list[User],
    index: int,
    row: tuple[str, str, int, int, int, int, str],
    now: datetime,
) -> None:
    name, email, ability, first_day, submitted, drafts, status = row
    profile = requisition.profile
    dimensions = {dimension.slug: dimension for dimension in profile.dimensions.all()}
    cases = {case.slug: case for case in profile.case_exercises.all()}
    # The shipped interview plan's slots, so each panel interview says which one it fills.
    slots = {planned.title: planned for planned in PlanSlot.objects.filter(profile=profile)}
    candidate = privacy.candidate_save(  # audited, like every writer of candidates
        candidate=Candidate(
            full_name=name,
            email=email,
            current_title="Director of Product",
            current_company="Northwind",
            source="Referral" if index % 2 else "Outbound",
            time_zone="Europe/London",
        ),
        by=requisition.recruiters.first(),
    )
    loop = Loop.objects.create(candidate=candidate, requisition=requisition, status=status)
    day = (now + timedelta(days=first_day)).replace(hour=14, minute=0, second=0, microsecond=0)
    for slot, (title, minutes, focus, case_slug) in enumerate(PANEL):
        starts_at = day + timedelta(days=slot // 2, hours=(slot % 2) * 2)
        interviewer = interviewers[(slot + index) % len(interviewers)]
        interview = Interview.objects.create(
            loop=loop,
            title=title,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            time_zone="Europe/London",
            video_url=f"https://meet.example.com/loopwise-{loop.pk}-{slot + 1}",
            case_exercise=cases.get(case_slug),
            plan_slot=slots.get(title),
            status=(
                Interview.Status.CANCELLED
                if status == Loop.Status.WITHDRAWN
                else Interview.Status.SCHEDULED
            ),
        )
        interview.interviewers.add(interviewer)
        interview.focus_dimensions.set([dimensions[slug] for slug in focus])
        if slot < submitted + drafts:
            _demo_scorecard(
                interview, interviewer, ability, slot, submit=slot < submitted, focus=focus
            )


def _demo_scorecard(
    interview: Interview,
    interviewer: User,
    ability: int,
    slot: int,
    *,
    submit: bool,
    focus: list[str],
) -> None:
    leniency = next(p.leniency for p in INTERVIEWERS if p.username == interviewer.username)
    dimensions = list(interview.focus_dimensions.all())
    ratings = {}
    for offset, dimension in enumerate(dimensions):
        value = max(1, min(4, 3 + ability + leniency + ((slot + offset) % 3 == 2) * -1))
        ratings[dimension.pk] = RatingInput(rating=value, evidence=EVIDENCE[value])
    average = round(sum(r.rating or 0 for r in ratings.values()) / len(ratings))
    content = ScorecardContent(
        ratings=ratings,
        overall_recommendation=RECOMMENDATION[average],
        key_takeaways=f"{interview.loop.candidate.full_name}: {EVIDENCE[average]}",
    )
    scorecard = services.scorecard_get_or_create(interview=interview, interviewer=interviewer)
    if submit:
        services.scorecard_submit(scorecard=scorecard, by=interviewer, content=content)
    else:
        partial = ScorecardContent(
            ratings=dict(list(ratings.items())[:1]), key_takeaways="Notes to finish after lunch."
        )
        services.scorecard_save_draft(scorecard=scorecard, content=partial, by=interviewer)


DEMO_CALENDARS = "loopwise/demo-calendars/{username}.ics"


def _demo_calendars(interviewers: list[User], now: datetime) -> None:
    """Each demo interviewer's work calendar: an ICS feed of recurring meetings (a weekly
    team meeting, all-day offsites, a call set in another zone's time, so the DST switches
    show), a static file the demo's own web server serves (``make run`` has DEBUG on). The
    sweep reads it every CALENDAR_SYNC_MINUTES like any feed; it is read once here too, from
    the file, so the calendars are known (not "unknown") from the first page on."""
    from pathlib import Path
    from zoneinfo import ZoneInfo

    import icalendar
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    from hiring.models import CalendarSource
    from hiring.scheduling import busy

    for person in interviewers:
        found = finders.find(DEMO_CALENDARS.format(username=person.username))
        if not isinstance(found, str):
            continue
        source = busy.calendar_connect(
            owner=person,
            kind=CalendarSource.Kind.ICS_FEED,
            url=settings.SITE_URL + static(DEMO_CALENDARS.format(username=person.username)),
            name="Work (demo feed)",
        )
        window = (now - busy.LOOKBEHIND, now + timedelta(days=settings.CALENDAR_SYNC_DAYS))
        calendar = icalendar.Calendar.from_ical(Path(found).read_bytes())
        spans = busy.busy_in([calendar], ZoneInfo(person.time_zone), *window)
        busy.record_read(source, spans, now=now, window=window)


def _demo_leniency_history(now: datetime) -> None:
    """Monthly calibration refits over the past year, as the nightly task would have left
    them (issue 18: the interviewer pages draw leniency trends from this history). Each is a
    real fit, by the same model, of the ratings of the interviews that had ended by then;
    months with too little history are skipped."""
    import numpy as np

    from scorecards.calibration import summaries
    from scorecards.models import CalibrationRun, DimensionRating

    rows = list(
        DimensionRating.objects.filter(revision__is_current=True, rating__isnull=False).values_list(
            "revision__scorecard__interview__loop__candidate_id",
            "revision__scorecard__interviewer_id",
            "dimension_id",
            "rating",
            "revision__scorecard__interview__ends_at",
        )
    )
    for months_ago in range(12, 0, -1):
        at = now - timedelta(days=30 * months_ago)
        data = np.asarray([r[:4] for r in rows if r[4] <= at], dtype=np.int64).reshape(-1, 4)
        if len(data) < 40:
            continue
        run = summaries.run_store(summaries.refit_ratings(data))
        CalibrationRun.objects.filter(pk=run.pk).update(fitted_at=at)  # auto_now_add


def _demo_history(recruiter: User, manager: User, interviewers: list[User], now: datetime) -> None:
    """A closed requisition of the same role with 18 months of decided loops, half of them
    hires, and their outcomes at 6 and 12 months where those have passed, so the insight
    reports (predictive validity above all) show something on `make run`. Generated from a
    hidden ability per candidate with a seeded generator (the same history every time): some
    dimensions' ratings load on it, some do not, and one interviewer (Marco) rates noisily;
    outcomes come from the same ability. The scorecards are written as an import of the
    previous system's history would write them (in bulk, submitted), the candidates through
    the audited writer like every other."""
    import random

    from hiring.models import Dimension, HireOutcome
    from scorecards.models import DimensionRating, Scorecard, ScorecardRevision

    rng = random.Random(18)
    profile = RoleProfile.objects.get(slug="vp-of-product")
    dimensions = {d.slug: d for d in Dimension.objects.filter(profile=profile)}
    # How much each dimension's rating follows the ability (0: not at all).
    loading = {
        "product-strategy": 0.9,
        "metrics-analytics": 0.8,
        "execution-operating-model": 0.7,
        "people-leadership": 0.6,
        "portfolio-prioritization": 0.5,
        "cross-functional-leadership": 0.4,
        "communication": 0.3,
    }
    requisition = Requisition.objects.create(
        title="VP of Product, Platform (2025)",
        profile=profile,
        hiring_manager=manager,
        status=Requisition.Status.CLOSED,
    )
    requisition.recruiters.add(recruiter)
    firsts = ["Aino", "Bilal", "Carmen", "Dev", "Eun-ji", "Femi", "Greta", "Hamid", "Ines"]
    lasts = ["Lindqvist", "Mensah", "Ortega", "Pillai", "Quinn", "Rahman", "Schulz", "Tanaka"]
    noisy = {"marco"}
    count, months = 80, 22
    rows = []
    for k in range(count):
        first, last = firsts[k % len(firsts)], lasts[(k // len(firsts)) % len(lasts)]
        candidate = privacy.candidate_save(
            candidate=Candidate(
                full_name=f"{first} {last}",
                email=f"{first.lower()}.{last.lower()}.{k}@example.com",
                current_title="Head of Product",
                source="Referral" if k % 3 else "Outbound",
                time_zone="Europe/London",
            ),
            by=recruiter,
        )
        decided_at = now - timedelta(days=30 + (months * 30 - 30) * k / (count - 1))
        rows.append((candidate, rng.gauss(0, 1), rng.gauss(0, 1), decided_at))
    loops = Loop.objects.bulk_create(
        Loop(candidate=candidate, requisition=requisition, status=Loop.Status.DECIDED)
        for candidate, _, _, _ in rows
    )
    interviews, seats = [], []
    for loop, (_, _, _, decided_at) in zip(loops, rows, strict=True):
        day = (decided_at - timedelta(days=10)).replace(hour=14, minute=0, second=0, microsecond=0)
        panel = rng.sample(interviewers, len(PANEL))
        size = len(PANEL) - rng.randint(0, 1)  # panels of 4 or 5
        for slot, (title, minutes, focus, _) in enumerate(PANEL[:size]):
            starts_at = day + timedelta(days=slot // 2, hours=(slot % 2) * 2)
            interviews.append(
                Interview(
                    loop=loop,
                    title=title,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=minutes),
                    time_zone="Europe/London",
                    status=Interview.Status.COMPLETED,
                )
            )
            seats.append((panel[slot], focus))
    Interview.objects.bulk_create(interviews)
    Interview.interviewers.through.objects.bulk_create(
        Interview.interviewers.through(interview_id=i.pk, user_id=person.pk)
        for i, (person, _) in zip(interviews, seats, strict=True)
    )
    Interview.focus_dimensions.through.objects.bulk_create(
        Interview.focus_dimensions.through(interview_id=i.pk, dimension_id=dimensions[slug].pk)
        for i, (_, focus) in zip(interviews, seats, strict=True)
        for slug in focus
    )
    by_loop = {loop.pk: row for loop, row in zip(loops, rows, strict=True)}
    cards, values = [], []
    for interview, (person, focus) in zip(interviews, seats, strict=True):
        _, ability, trait, decided_at = by_loop[interview.loop_id]
        lean = next(p.leniency for p in INTERVIEWERS if p.username == person.username)
        spread = 1.6 if person.username in noisy else 0.45
        ratings = {}
        for slug in focus:
            load = loading.get(slug, 0.0)
            latent = 2.6 + load * ability + (0.8 * trait if load == 0 else 0) + 0.4 * lean
            ratings[slug] = max(1, min(4, round(latent + rng.gauss(0, spread))))
        submitted = interview.ends_at + timedelta(hours=rng.randint(2, 40))
        cards.append(
            Scorecard(
                interview=interview,
                interviewer=person,
                status=Scorecard.Status.SUBMITTED,
                first_submitted_at=submitted,
                last_submitted_at=submitted,
            )
        )
        values.append(ratings)
    Scorecard.objects.bulk_create(cards)
    revisions = ScorecardRevision.objects.bulk_create(
        ScorecardRevision(
            scorecard=card,
            number=1,
            submitted_at=card.first_submitted_at,
            is_current=True,
            overall_recommendation=RECOMMENDATION[round(sum(r.values()) / len(r))],
            key_takeaways=EVIDENCE[round(sum(r.values()) / len(r))],
        )
        for card, r in zip(cards, values, strict=True)
    )
    DimensionRating.objects.bulk_create(
        DimensionRating(
            revision=revision,
            dimension=dimensions[slug],
            rating=value,
            evidence=EVIDENCE[value],
            scale_max=profile.rating_scale,
        )
        for revision, r in zip(revisions, values, strict=True)
        for slug, value in r.items()
    )
    # The manager hires the better half by the panel's mean rating.
    means: dict[int, list[int]] = {}
    for interview, r in zip(interviews, values, strict=True):
        means.setdefault(interview.loop_id, []).extend(r.values())
    ranked = sorted(loops, key=lambda loop: -sum(means[loop.pk]) / len(means[loop.pk]))
    hired = {loop.pk for loop in ranked[: count // 2]}
    Decision.objects.bulk_create(
        Decision(
            loop=loop,
            outcome=Decision.Outcome.HIRE if loop.pk in hired else Decision.Outcome.NO_HIRE,
            rationale=(
                "Strong, consistent panel signal." if loop.pk in hired else "Below the bar."
            ),
            decided_by=manager,
            decided_at=by_loop[loop.pk][3],
        )
        for loop in loops
    )
    scale = len(getattr(settings, "OUTCOME_PERFORMANCE_SCALE", None) or []) or 5
    outcomes = []
    for loop in loops:
        _, ability, _, decided_at = by_loop[loop.pk]
        age = (now - decided_at).days
        if loop.pk not in hired or age < 183:
            continue
        performance = ability + rng.gauss(0, 0.4)
        rating = max(1, min(scale, round((scale + 1) / 2 + performance)))
        outcomes.append(
            HireOutcome(
                loop=loop,
                months=6,
                performance=rating,
                scale_max=scale,
                still_employed=True,
                recorded_by=manager,
                recorded_at=decided_at + timedelta(days=190),
            )
        )
        if age >= 366:
            left = performance < 0.1  # the weakest left, and nobody regretted it
            later = max(1, min(scale, round((scale + 1) / 2 + performance + rng.gauss(0, 0.3))))
            outcomes.append(
                HireOutcome(
                    loop=loop,
                    months=12,
                    performance=None if left else later,
                    scale_max=scale,
                    still_employed=not left,
                    regretted=False if left else None,
                    note="Left for a role elsewhere." if left else "",
                    recorded_by=manager,
                    recorded_at=decided_at + timedelta(days=372),
                )
            )
    # The most recent hire gone already, recorded as it happened: a departure is recorded
    # before its checkpoint is due, and nobody is asked about them again.
    recent = [
        loop for loop in loops if loop.pk in hired and 45 <= (now - by_loop[loop.pk][3]).days < 183
    ]
    if recent:
        gone = max(recent, key=lambda loop: by_loop[loop.pk][3])
        outcomes.append(
            HireOutcome(
                loop=gone,
                months=6,
                performance=None,
                scale_max=scale,
                still_employed=False,
                regretted=True,
                note="Left in their second month to move abroad; we would have kept them.",
                recorded_by=manager,
                recorded_at=by_loop[gone.pk][3] + timedelta(days=40),
            )
        )
    HireOutcome.objects.bulk_create(outcomes)
