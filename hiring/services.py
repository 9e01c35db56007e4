"""Writes to loops and interviews from the recruiter's side: invites, reschedules,
cancellations, no-shows, withdrawals and nudges. The admin's actions and buttons call these;
every one checks that the recruiter may act on the loop (DESIGN §6).

E-mails go through ``notifications.notify()`` inside the same transaction as the change, keyed
so that one change sends one message however often the button is pressed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone

from hiring import access, limits, privacy, stages
from hiring.delivery import notifications
from hiring.errors import Invalid
from hiring.models import (
    BookingLink,
    Candidate,
    Interview,
    Loop,
    Notification,
    Requisition,
    User,
)

INTERVIEW_INVITE = "interview.invite"
INTERVIEW_UPDATE = "interview.update"
INTERVIEW_CANCEL = "interview.cancel"
CANDIDATE_SCHEDULE = "candidate.schedule"
SCORECARD_NUDGE = "scorecard.nudge"

# A change to any of these on an invited interview is a reschedule: calendars must update.
CALENDAR_FIELDS = ("starts_at", "ends_at", "time_zone", "location", "video_url", "title")


def check_can_act(*, user: User, loop: Loop) -> None:
    access.check(user, "change", loop)


def _reason(reason: str | None, *, missing: str) -> str:
    """A reason a person gives for a step that cannot be taken back: required, kept in the
    audit trail, as long as any other reason there."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": missing})
    limits.check_lengths(reason=(reason, limits.REASON))
    return reason


@dataclass
class Step:
    """What an action would do to one interview, shown before it runs: the people it
    writes to (``told``) and whether the candidate hears of it."""

    interview: Interview
    told: list[User] = field(default_factory=list)
    candidate_told: bool = False


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


def invite_plan(loop: Loop) -> list[Step]:
    """What ``loop_send_invites`` would do now: each scheduled interview with the panel
    members who have had no invite yet; the candidate gets their schedule."""
    steps = []
    interviews = loop.interviews.filter(status=Interview.Status.SCHEDULED).order_by("pk")
    for interview in interviews.prefetch_related("interviewers"):
        already = _invited_ids(interview)
        panel = sorted(interview.interviewers.all(), key=lambda user: user.pk)
        steps.append(
            Step(interview, [user for user in panel if user.pk not in already], candidate_told=True)
        )
    return steps


def loop_send_invites(*, loop: Loop, by: User) -> int:
    """Invite every panel member of every scheduled interview who has not had one yet, and
    send the candidate their schedule. Returns how many invites were scheduled."""
    check_can_act(user=by, loop=loop)
    return send_invites(loop)


def send_invites(loop: Loop) -> int:
    """``loop_send_invites`` for a caller that has settled who may: the recruiter's button,
    or the candidate confirming a schedule through their booking link."""
    sent = 0
    with transaction.atomic():
        # Lock the interviews, then read the plan the confirmation page showed.
        list(
            loop.interviews.select_for_update(of=("self",)).filter(
                status=Interview.Status.SCHEDULED
            )
        )
        for step in invite_plan(loop):
            interview = step.interview
            for interviewer in step.told:
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
    if interview.status == Interview.Status.COMPLETED and interview.ends_at > timezone.now():
        # "Completed" was the clock's word (the periodic sweep), never a person's: moved into
        # the future, the interview is scheduled again, and its panel told.
        Interview.objects.filter(pk=interview.pk, status=Interview.Status.COMPLETED).update(
            status=Interview.Status.SCHEDULED
        )
        interview.status = Interview.Status.SCHEDULED
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


def end_plan(interview: Interview, status: str) -> Step:
    """What ``interview_set_status`` would do: a cancellation goes to the panel members who
    have the interview on their calendar, and the candidate gets their new schedule; a
    no-show writes to nobody."""
    if status != Interview.Status.CANCELLED or interview.status != Interview.Status.SCHEDULED:
        return Step(interview)
    told = list(User.objects.filter(pk__in=_invited_ids(interview)).order_by("pk"))
    return Step(interview, told, candidate_told=True)


END_REASON_MISSING: dict[str, str] = {
    Interview.Status.CANCELLED: "Say why the interview is cancelled.",
    Interview.Status.NO_SHOW: "Say what happened (the no-show is kept in the audit trail).",
}


def interview_set_status(*, interview: Interview, status: str, by: User, reason: str) -> bool:
    """Mark an interview cancelled or no-show, for a reason kept in the audit trail: its
    scorecards are no longer owed. Returns whether anything changed."""
    if status not in Interview.NO_FEEDBACK_STATUSES:
        raise Invalid("Only 'cancelled' and 'no-show' end an interview from here.")
    check_can_act(user=by, loop=interview.loop)
    reason = _reason(reason, missing=END_REASON_MISSING[status])
    with transaction.atomic():
        interview = (
            Interview.objects.select_for_update().select_related("loop").get(pk=interview.pk)
        )
        if interview.status == status:
            return False
        if status == Interview.Status.NO_SHOW and interview.starts_at > timezone.now():
            raise Invalid("An interview that has not started yet cannot be a no-show.")
        before = interview.status
        _cancel(interview, status=status)
        if status == Interview.Status.CANCELLED:
            _tell_candidate(interview.loop)
        _audit_end(interview, by=by, before=before, reason=reason)
    return True


def interviews_cancel_for_candidate(*, interviews: Iterable[Interview], reason: str) -> int:
    """Cancel scheduled interviews the candidate gave up through their booking link
    (rescheduling or cancelling): panels told, the trail says why. Returns how many."""
    cancelled = 0
    loop = None
    for interview in interviews:
        if interview.status != Interview.Status.SCHEDULED:
            continue
        _cancel(interview, status=Interview.Status.CANCELLED)
        _audit_end(interview, by=None, before=Interview.Status.SCHEDULED, reason=reason)
        loop = interview.loop
        cancelled += 1
    if loop is not None:
        _tell_candidate(loop)
    return cancelled


def _audit_end(interview: Interview, *, by: User | None, before: str, reason: str) -> None:
    privacy.audit(
        action=f"interview.{interview.status}",
        obj=interview,
        by=by,
        candidate_id=interview.loop.candidate_id,
        before={"status": before},
        after={"status": interview.status, "reason": reason},
    )


def _withdrawn_interviews(loop: Loop) -> QuerySet[Interview]:
    """The interviews a withdrawal cancels: the scheduled ones still to come."""
    return loop.interviews.filter(
        status=Interview.Status.SCHEDULED, starts_at__gt=timezone.now()
    ).order_by("pk")


def withdraw_plan(loop: Loop) -> list[Step]:
    """What ``loop_withdraw`` would do: the interviews it cancels, each with the panel
    members who get a calendar cancellation. Nothing when the loop is withdrawn already."""
    if loop.status == Loop.Status.WITHDRAWN:
        return []
    return [
        end_plan(interview, Interview.Status.CANCELLED) for interview in _withdrawn_interviews(loop)
    ]


def loop_withdraw(*, loop: Loop, by: User, reason: str) -> int:
    """The candidate withdraws, for a reason kept in the audit trail (on the change of stage
    and on each interview it cancels): the loop closes, future interviews are cancelled and
    their panels told. Returns how many interviews were cancelled. A decided loop stays
    decided (the stage table refuses); withdrawing twice changes nothing."""
    check_can_act(user=by, loop=loop)
    reason = _reason(reason, missing="Say why the candidate withdraws.")
    with transaction.atomic():
        loop = Loop.objects.select_for_update().get(pk=loop.pk)
        if loop.status == Loop.Status.WITHDRAWN:
            return 0
        stages.advance(loop=loop, to=Loop.Status.WITHDRAWN, by=by, reason=reason)
        # The candidate's booking link books nothing any more (and its e-mail, if still
        # queued, is not sent: its renderer finds the link revoked).
        BookingLink.objects.filter(
            loop=loop, status__in=[BookingLink.Status.OPEN, BookingLink.Status.BOOKED]
        ).update(status=BookingLink.Status.REVOKED)
        cancelled = 0
        for interview in _withdrawn_interviews(loop).select_for_update():
            _cancel(interview, status=Interview.Status.CANCELLED)
            _audit_end(interview, by=by, before=Interview.Status.SCHEDULED, reason=reason)
            cancelled += 1
    return cancelled


def nudge_plan(loop: Loop, *, lock: bool = False) -> list[Step]:
    """What ``loop_nudge`` would do now: each ended interview with the panel members who
    still owe its scorecard."""
    interviews = loop.interviews.filter(ends_at__lte=timezone.now()).exclude(
        status__in=Interview.NO_FEEDBACK_STATUSES
    )
    if lock:
        interviews = interviews.select_for_update(of=("self",))
    found = list(interviews.prefetch_related("interviewers").order_by("pk"))
    submitted = set(
        Interview.objects.filter(
            pk__in=[interview.pk for interview in found], scorecards__status="submitted"
        ).values_list("pk", "scorecards__interviewer_id")
    )
    return [
        Step(
            interview,
            [
                user
                for user in sorted(interview.interviewers.all(), key=lambda user: user.pk)
                if (interview.pk, user.pk) not in submitted
            ],
        )
        for interview in found
    ]


def loop_nudge(*, loop: Loop, by: User) -> int:
    """Remind, now, every interviewer who owes a scorecard for an interview that has ended.
    Each press is a deliberate new message (the next ``sequence`` for that person)."""
    check_can_act(user=by, loop=loop)
    sent = 0
    with transaction.atomic():
        for step in nudge_plan(loop, lock=True):
            interview = step.interview
            earlier = dict(
                notifications_for(interview, reasons=(SCORECARD_NUDGE,), live_only=False)
                .values("recipient_id")
                .annotate(last=Max("sequence"))
                .values_list("recipient_id", "last")
            )
            for interviewer in step.told:
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
        stages.record(loop=loop, before="", by=by)
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
