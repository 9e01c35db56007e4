"""Writes to loops and interviews from the recruiter's side: invites, reschedules,
cancellations, no-shows, withdrawals and nudges. The admin's actions and buttons call these;
every one checks that the recruiter may act on the loop (DESIGN §6).

E-mails go through ``notifications.notify()`` inside the same transaction as the change, keyed
so that one change sends one message however often the button is pressed."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone

from hiring import access, privacy, stages
from hiring.delivery import notifications
from hiring.errors import Invalid
from hiring.models import Candidate, Interview, Loop, Notification, Requisition, User

INTERVIEW_INVITE = "interview.invite"
INTERVIEW_UPDATE = "interview.update"
INTERVIEW_CANCEL = "interview.cancel"
CANDIDATE_SCHEDULE = "candidate.schedule"
SCORECARD_NUDGE = "scorecard.nudge"

# A change to any of these on an invited interview is a reschedule: calendars must update.
CALENDAR_FIELDS = ("starts_at", "ends_at", "time_zone", "location", "video_url", "title")


def check_can_act(*, user: User, loop: Loop) -> None:
    access.check(user, "change", loop)


def _invited_ids(interview: Interview) -> set[int]:
    """Interviewers who have this interview on their calendar (an invite or update sent or
    on its way)."""
    return set(
        notifications_for(interview, reasons=(INTERVIEW_INVITE, INTERVIEW_UPDATE))
        .exclude(recipient_id=None)
        .values_list("recipient_id", flat=True)
    )


def notifications_for(
    interview: Interview, *, reasons: Iterable[str], live_only: bool = True
) -> QuerySet[Notification]:
    """The notifications about ``interview`` for ``reasons`` (by default not cancelled)."""
    rows = Notification.objects.filter(
        content_type=ContentType.objects.get_for_model(Interview),
        object_id=interview.pk,
        reason__in=list(reasons),
    )
    return rows.exclude(status=Notification.Status.CANCELLED) if live_only else rows


def was_invited(interview: Interview) -> bool:
    return bool(_invited_ids(interview))


def schedule_version(loop: Loop) -> int:
    """Grows with every change the candidate should hear about: an interview added,
    rescheduled or cancelled (each bumps or adds to the sum)."""
    rows = list(loop.interviews.values_list("calendar_sequence", flat=True))
    return sum(rows) + len(rows)


def _tell_candidate(loop: Loop) -> None:
    candidate = loop.candidate
    notifications.notify(
        reason=CANDIDATE_SCHEDULE,
        obj=loop,
        recipient_email=candidate.email,
        sequence=schedule_version(loop),
    )


def loop_send_invites(*, loop: Loop, by: User) -> int:
    """Invite every panel member of every scheduled interview who has not had one yet, and
    send the candidate their schedule. Returns how many invites were scheduled."""
    check_can_act(user=by, loop=loop)
    sent = 0
    with transaction.atomic():
        interviews = (
            loop.interviews.select_for_update(of=("self",))
            .filter(status=Interview.Status.SCHEDULED)
            .order_by("pk")
        )
        for interview in interviews:
            already = _invited_ids(interview)
            for interviewer in interview.interviewers.all():
                if interviewer.pk in already:
                    continue
                if notifications.notify(
                    reason=INTERVIEW_INVITE,
                    obj=interview,
                    recipient_email=interviewer.email,
                    recipient=interviewer,
                    sequence=interview.calendar_sequence,
                ):
                    sent += 1
        _tell_candidate(loop)
    return sent


def interview_rescheduled(
    *, interview: Interview, by: User, removed_ids: Iterable[int] = ()
) -> bool:
    """Call after saving a change to an invited interview's time, place or panel: bump its
    SEQUENCE, send the update to the panel members already invited (an invite to new ones),
    a cancellation to those taken off it, and the new schedule to the candidate."""
    check_can_act(user=by, loop=interview.loop)
    invited = _invited_ids(interview)
    if interview.status != Interview.Status.SCHEDULED or not invited:
        return False
    with transaction.atomic():
        Interview.objects.filter(pk=interview.pk).update(
            calendar_sequence=F("calendar_sequence") + 1
        )
        interview.refresh_from_db(fields=["calendar_sequence"])
        panel = list(interview.interviewers.all())
        for interviewer in panel:
            notifications.notify(
                reason=INTERVIEW_UPDATE if interviewer.pk in invited else INTERVIEW_INVITE,
                obj=interview,
                recipient_email=interviewer.email,
                recipient=interviewer,
                sequence=interview.calendar_sequence,
            )
        on_panel = {interviewer.pk for interviewer in panel}
        gone = (set(removed_ids) & invited) - on_panel
        for interviewer in User.objects.filter(pk__in=gone).order_by("pk"):
            notifications.notify(
                reason=INTERVIEW_CANCEL,
                obj=interview,
                recipient_email=interviewer.email,
                recipient=interviewer,
                sequence=interview.calendar_sequence,
            )
        _tell_candidate(interview.loop)
    return True


def _cancel(interview: Interview, *, status: str) -> None:
    """Set a status that ends the scorecard obligation; cancel calendars if invited."""
    invited = _invited_ids(interview)
    updates: dict[str, object] = {"status": status}
    if invited and interview.status == Interview.Status.SCHEDULED:
        updates["calendar_sequence"] = F("calendar_sequence") + 1
    Interview.objects.filter(pk=interview.pk).update(**updates)
    interview.refresh_from_db(fields=["status", "calendar_sequence"])
    if not invited or status != Interview.Status.CANCELLED:
        return
    for interviewer in User.objects.filter(pk__in=invited).order_by("pk"):
        notifications.notify(
            reason=INTERVIEW_CANCEL,
            obj=interview,
            recipient_email=interviewer.email,
            recipient=interviewer,
            sequence=interview.calendar_sequence,
        )


def interview_set_status(*, interview: Interview, status: str, by: User) -> None:
    """Mark an interview cancelled or no-show: its scorecards are no longer owed."""
    if status not in Interview.NO_FEEDBACK_STATUSES:
        raise Invalid("Only 'cancelled' and 'no-show' end an interview from here.")
    check_can_act(user=by, loop=interview.loop)
    with transaction.atomic():
        interview = (
            Interview.objects.select_for_update().select_related("loop").get(pk=interview.pk)
        )
        if interview.status == status:
            return
        if status == Interview.Status.NO_SHOW and interview.starts_at > timezone.now():
            raise Invalid("An interview that has not started yet cannot be a no-show.")
        _cancel(interview, status=status)
        if status == Interview.Status.CANCELLED:
            _tell_candidate(interview.loop)


def loop_withdraw(*, loop: Loop, by: User, reason: str = "") -> int:
    """The candidate withdraws: the loop closes, future interviews are cancelled and their
    panels told. Returns how many interviews were cancelled. A decided loop stays decided
    (the stage table refuses); withdrawing twice changes nothing."""
    check_can_act(user=by, loop=loop)
    with transaction.atomic():
        loop = Loop.objects.select_for_update().get(pk=loop.pk)
        if loop.status == Loop.Status.WITHDRAWN:
            return 0
        stages.advance(loop=loop, to=Loop.Status.WITHDRAWN, by=by, reason=reason)
        future = loop.interviews.select_for_update().filter(
            status=Interview.Status.SCHEDULED, starts_at__gt=timezone.now()
        )
        cancelled = 0
        for interview in future.order_by("pk"):
            _cancel(interview, status=Interview.Status.CANCELLED)
            cancelled += 1
    return cancelled


def loop_nudge(*, loop: Loop, by: User) -> int:
    """Remind, now, every interviewer who owes a scorecard for an interview that has ended.
    Each press is a deliberate new message (the next ``sequence`` for that person)."""
    check_can_act(user=by, loop=loop)
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        interviews = list(
            loop.interviews.select_for_update(of=("self",))
            .filter(ends_at__lte=now)
            .exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
            .prefetch_related("interviewers")
            .order_by("pk")
        )
        submitted = set(
            Interview.objects.filter(
                pk__in=[interview.pk for interview in interviews],
                scorecards__status="submitted",
            ).values_list("pk", "scorecards__interviewer_id")
        )
        for interview in interviews:
            earlier = dict(
                notifications_for(interview, reasons=(SCORECARD_NUDGE,), live_only=False)
                .values("recipient_id")
                .annotate(last=Max("sequence"))
                .values_list("recipient_id", "last")
            )
            for interviewer in interview.interviewers.all():
                if (interview.pk, interviewer.pk) in submitted:
                    continue
                last = earlier.get(interviewer.pk)
                if notifications.notify(
                    reason=SCORECARD_NUDGE,
                    obj=interview,
                    recipient_email=interviewer.email,
                    recipient=interviewer,
                    sequence=0 if last is None else last + 1,
                ):
                    sent += 1
    return sent


# --- New candidates ----------------------------------------------------------------------

# Requisitions that take no new candidates.
CLOSED_REQUISITIONS = (Requisition.Status.FILLED, Requisition.Status.CLOSED)


def candidate_put_forward(
    *, candidate: Candidate, requisition: Requisition, by: User | None
) -> Loop:
    """Put ``candidate`` forward for ``requisition``: their loop for it, in "Scheduling",
    audited on the candidate's trail. From then on the requisition's recruiters (and its
    hiring manager) work with the candidate; no other requisition's do. A candidate already
    in a loop for it keeps that loop. ``by`` None: a command, not a person."""
    if by is not None:
        access.check(by, "change", requisition)
    with transaction.atomic():
        loop = Loop.objects.filter(candidate=candidate, requisition=requisition).first()
        if loop is not None:
            return loop
        if requisition.status in CLOSED_REQUISITIONS:
            raise Invalid(
                {"requisition": f"{requisition} is {requisition.get_status_display().lower()}."}
            )
        loop = Loop.objects.create(candidate=candidate, requisition=requisition)
        privacy.audit(
            action="loop.created",
            obj=loop,
            by=by,
            candidate_id=candidate.pk,
            after={"requisition": requisition.title, "status": loop.status},
        )
    return loop


def candidate_create(
    *, candidate: Candidate, requisition: Requisition | None, by: User | None
) -> Candidate:
    """Save a new candidate (audited) and put them forward for ``requisition`` in the same
    transaction, so they are never anyone's to lose: only an administrator may add one to
    no requisition yet."""
    if requisition is None and by is not None and not access.administers(by):
        raise Invalid({"requisition": "Choose the requisition the candidate is for."})
    with transaction.atomic():
        privacy.candidate_save(candidate=candidate, by=by)
        if requisition is not None:
            candidate_put_forward(candidate=candidate, requisition=requisition, by=by)
    return candidate
