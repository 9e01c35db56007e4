"""Debriefs (issue 18): scheduling the meeting, its discussion thread, and the outcome the
hiring manager records with the decision.

- A recruiter schedules the debrief once the loop is ready for debrief, or its summary flags
  one. The panel and the hiring manager get an invite (``debrief.invite``), each change an
  update with the next SEQUENCE, and a cancellation (``debrief.cancel``): one notification
  row per person and change, keyed on the SEQUENCE, so a replayed POST sends nothing twice.
  The attendees follow the panel: a change of an interview's interviewers or a cancelled
  interview (``hiring.signals``) sends the update to those asked and a cancellation to those
  no longer asked (``debrief_panel_sync``).
- The discussion quotes the panel's feedback, so only whoever may read the summary reads or
  writes it (``access.can(user, "discuss", loop)``): a panelist who still owes a scorecard
  does not. ``@username`` mentions notify the person (``debrief.mention``), and only such a
  person may be mentioned. Comments are never edited (what the panel read is what stays);
  the author may delete theirs, which keeps its place in the thread and drops its text.
- ``outcome_*`` check and write what ``hiring.decisions.decision_record`` records about the
  debrief with a decision: held, not needed or skipped, and who attended.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from hiring import access, limits
from hiring.delivery import background, notifications
from hiring.errors import Invalid
from hiring.models import (
    Debrief,
    DebriefComment,
    DebriefOutcome,
    Decision,
    Interview,
    Loop,
    Notification,
    User,
)
from hiring.validators import validate_time_zone
from scorecards.models import LoopSummary

DEBRIEF_INVITE = "debrief.invite"
DEBRIEF_CANCEL = "debrief.cancel"
DEBRIEF_MENTION = "debrief.mention"

# Django's usernames are letters, digits and @.+-_; a mention ends before a trailing dot or
# comma ("thanks @ana." mentions ana), and an e-mail address is not a mention.
# The same text from the same person within this long is the same comment sent twice.
REPLAY_WINDOW = timedelta(minutes=2)
MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]*[\w@+-])")


# --- The meeting -------------------------------------------------------------------------------


def may_schedule(loop: Loop) -> bool:
    """A debrief is for an open loop whose feedback is in (ready for debrief) or whose summary
    asks for one (flagged while a scorecard is still out)."""
    if loop.status == Loop.Status.READY_FOR_DEBRIEF:
        return True
    return (
        loop.status in Loop.OPEN_STATUSES
        and LoopSummary.objects.filter(loop=loop, needs_debrief=True).exists()
    )


def invitees(loop: Loop) -> list[User]:
    """Who is asked to the debrief: the panel (interviewers of interviews that happened or
    will) and the hiring manager, once each, by name."""
    seats = Interview.objects.filter(loop=loop).exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
    people = User.objects.filter(is_active=True).filter(
        Q(pk__in=seats.values("interviewers")) | Q(pk=loop.requisition.hiring_manager_id)
    )
    return sorted(people, key=lambda user: (user.get_full_name() or user.username).lower())


def current(loop: Loop) -> Debrief | None:
    """The loop's scheduled debrief, if one is."""
    return loop.debriefs.filter(status=Debrief.Status.SCHEDULED).first()


def _check_meeting(
    *, starts_at: datetime, ends_at: datetime, time_zone: str, location: str, video_url: str
) -> None:
    errors: dict[str, str] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = "The debrief must end after it starts."
    if starts_at < timezone.now():
        errors["starts_at"] = "Choose a time in the future."
    if not (location.strip() or video_url.strip()):
        errors["location"] = "Say where: a room or a video link."
    try:
        validate_time_zone(time_zone)
    except ValidationError:
        errors["time_zone"] = "Choose a time zone from the list."
    if errors:
        raise Invalid(errors)


def _invite_all(debrief: Debrief, people: Iterable[User]) -> int:
    told = 0
    for person in people:
        if notifications.notify(
            reason=DEBRIEF_INVITE,
            obj=debrief,
            recipient_email=person.email,
            recipient=person,
            sequence=debrief.calendar_sequence,
        ):
            told += 1
    return told


def _cancel_all(debrief: Debrief, people: QuerySet[User]) -> None:
    """A cancellation at the debrief's current SEQUENCE to each of ``people``."""
    for person in people.order_by("pk"):
        notifications.notify(
            reason=DEBRIEF_CANCEL,
            obj=debrief,
            recipient_email=person.email,
            recipient=person,
            sequence=debrief.calendar_sequence,
        )


def debrief_schedule(
    *,
    loop: Loop,
    starts_at: datetime,
    ends_at: datetime,
    time_zone: str,
    location: str = "",
    video_url: str = "",
    by: User,
) -> Debrief:
    """Schedule the loop's debrief, or move the one scheduled (the same event in everyone's
    calendar: its UID, the next SEQUENCE). Invites the panel and the hiring manager."""
    access.check(by, "schedule_debrief", loop)
    _check_meeting(
        starts_at=starts_at,
        ends_at=ends_at,
        time_zone=time_zone,
        location=location,
        video_url=video_url,
    )
    with transaction.atomic():
        locked = Loop.objects.select_for_update(of=("self",)).get(pk=loop.pk)
        if not may_schedule(locked):
            raise Invalid(
                {
                    "status": "A debrief is scheduled once the loop is ready for debrief, "
                    "or when its summary asks for one."
                }
            )
        debrief = current(locked)
        if debrief is None:
            debrief = Debrief.objects.create(
                loop=locked,
                starts_at=starts_at,
                ends_at=ends_at,
                time_zone=time_zone,
                location=location.strip(),
                video_url=video_url.strip(),
                scheduled_by=by,
            )
        else:
            same = (debrief.starts_at, debrief.ends_at, debrief.time_zone) == (
                starts_at,
                ends_at,
                time_zone,
            ) and (debrief.location, debrief.video_url) == (location.strip(), video_url.strip())
            if same:
                return debrief  # a replayed form: nothing changed, nobody is told again
            Debrief.objects.filter(pk=debrief.pk).update(
                starts_at=starts_at,
                ends_at=ends_at,
                time_zone=time_zone,
                location=location.strip(),
                video_url=video_url.strip(),
                calendar_sequence=F("calendar_sequence") + 1,
                updated_at=timezone.now(),
            )
            debrief.refresh_from_db()
        _invite_all(debrief, invitees(locked))
    return debrief


def debrief_cancel(*, debrief: Debrief, by: User) -> bool:
    """Cancel a scheduled debrief: everyone invited gets the cancellation (METHOD:CANCEL,
    the next SEQUENCE). False if it was not scheduled (a second click)."""
    access.check(by, "schedule_debrief", debrief.loop)
    with transaction.atomic():
        changed = Debrief.objects.filter(pk=debrief.pk, status=Debrief.Status.SCHEDULED).update(
            status=Debrief.Status.CANCELLED,
            calendar_sequence=F("calendar_sequence") + 1,
            updated_at=timezone.now(),
        )
        if not changed:
            return False
        debrief.refresh_from_db()
        invited = User.objects.filter(
            pk__in=notifications_about(debrief, reasons=(DEBRIEF_INVITE,)).values("recipient_id")
        )
        _cancel_all(debrief, invited)
    return True


def holders(debrief: Debrief) -> set[int]:
    """The people whose calendars hold the debrief now: sent an invite for it and not a
    cancellation since (their latest message about it, by SEQUENCE, is an invite)."""
    latest: dict[int, tuple[int, str]] = {}
    rows = notifications_about(debrief, reasons=(DEBRIEF_INVITE, DEBRIEF_CANCEL)).values_list(
        "recipient_id", "sequence", "reason"
    )
    for person, sequence, reason in rows:
        if person is not None and (person not in latest or sequence >= latest[person][0]):
            latest[person] = (sequence, reason)
    return {person for person, (_, reason) in latest.items() if reason == DEBRIEF_INVITE}


def debrief_panel_sync(*, loop: Loop) -> bool:
    """The loop's panel changed (someone added to or taken off an interview, an interview
    cancelled) while its debrief is scheduled: the event goes to the next SEQUENCE with the
    new attendees, everyone now asked gets the update (a newcomer, the invite), and anyone no
    longer asked gets a cancellation. Nothing happens (False) when no debrief is scheduled
    or the people asked did not change, so running it twice tells nobody twice."""
    with transaction.atomic():
        locked = Loop.objects.select_for_update(of=("self",)).get(pk=loop.pk)
        debrief = current(locked)
        if debrief is None:
            return False
        wanted = invitees(locked)
        held = holders(debrief)
        if {person.pk for person in wanted} == held:
            return False
        Debrief.objects.filter(pk=debrief.pk).update(
            calendar_sequence=F("calendar_sequence") + 1, updated_at=timezone.now()
        )
        debrief.refresh_from_db()
        _invite_all(debrief, wanted)
        _cancel_all(debrief, User.objects.filter(pk__in=held - {p.pk for p in wanted}))
    return True


def debrief_panel_changed(loop_id: int) -> None:
    """Ask for :func:`debrief_panel_sync` once the current transaction commits, once per loop
    however many changes the transaction made (an admin save replaces a panel in two steps).
    Called by ``hiring.signals`` for every change of an interview's interviewers or status."""

    def sync(loop_ids: set[int]) -> None:
        # one query finds the loops among them with a scheduled debrief; the rest need nothing
        scheduled = (
            Loop.objects.filter(pk__in=loop_ids, debriefs__status=Debrief.Status.SCHEDULED)
            .distinct()
            .order_by("pk")
        )
        for loop in scheduled:
            debrief_panel_sync(loop=loop)

    # robust: a failure is logged; the panel change stands
    background.after_commit_once("debrief.panel", [loop_id], sync, robust=True)


def notifications_about(debrief: Debrief, *, reasons: Sequence[str]) -> QuerySet[Notification]:
    return Notification.objects.filter(
        content_type=ContentType.objects.get_for_model(Debrief),
        object_id=debrief.pk,
        reason__in=list(reasons),
    ).exclude(recipient_id=None)


# --- The discussion ------------------------------------------------------------------------------


def mentionable(loop: Loop) -> list[User]:
    """Who may be mentioned: the loop's staff who may read its summary now."""
    requisition = loop.requisition
    ids = set(requisition.recruiters.values_list("pk", flat=True))
    if requisition.hiring_manager_id is not None:
        ids.add(requisition.hiring_manager_id)
    people = User.objects.filter(pk__in=ids, is_active=True).order_by("username")
    return [person for person in people if access.can(person, "discuss", loop)]


def mentions_in(body: str) -> list[str]:
    """The usernames ``body`` mentions, in order, once each."""
    seen: dict[str, None] = {}
    for name in MENTION.findall(body):
        seen.setdefault(name, None)
    return list(seen)


def thread(*, loop: Loop, user: User) -> QuerySet[DebriefComment]:
    """The loop's discussion as ``user`` may read it (nothing at all for someone who may
    not), oldest first."""
    return (
        access.visible(user, DebriefComment)
        .filter(loop=loop)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def comment_post(*, loop: Loop, body: str, by: User) -> DebriefComment:
    """Add ``by``'s comment to the loop's discussion and notify whoever it mentions."""
    access.check(by, "discuss", loop)
    body = (body or "").strip()
    errors: dict[str, str] = {}
    if not body:
        errors["body"] = "Write your comment."
    errors.update(limits.length_errors(body=(body, limits.DEBRIEF_COMMENT)))
    if errors:
        raise Invalid(errors)
    names = mentions_in(body)
    allowed = {person.username.lower(): person for person in mentionable(loop)}
    refused = [name for name in names if name.lower() not in allowed]
    if refused:
        who = ", ".join(f"@{name}" for name in refused)
        raise Invalid(
            {
                "body": f"{who} cannot be mentioned: only people who may read this loop's "
                "summary can (its recruiters and hiring manager, once their own scorecards "
                "are in)."
            }
        )
    mentioned = [allowed[name.lower()] for name in names]
    with transaction.atomic():
        # One loop's posts one at a time, so a double click (or a replayed form) finds the
        # comment it already made and posts nothing, notifies nobody, a second time.
        Loop.objects.select_for_update(of=("self",)).filter(pk=loop.pk).first()
        replayed = (
            DebriefComment.objects.filter(
                loop=loop,
                author=by,
                body=body,
                deleted_at__isnull=True,
                created_at__gte=timezone.now() - REPLAY_WINDOW,
            )
            .order_by("-pk")
            .first()
        )
        if replayed is not None:
            return replayed
        comment = DebriefComment.objects.create(loop=loop, author=by, body=body)
        comment.mentioned.set(mentioned)
        for person in mentioned:
            if person.pk == by.pk:
                continue
            notifications.notify(
                reason=DEBRIEF_MENTION,
                obj=comment,
                recipient_email=person.email,
                recipient=person,
            )
    return comment


def comment_delete(*, comment: DebriefComment, by: User) -> bool:
    """The author deletes their comment: it keeps its place in the thread ("deleted"), its
    text is gone. False if it was deleted already."""
    access.check(by, "delete", comment)
    changed = DebriefComment.objects.filter(pk=comment.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), body=""
    )
    comment.refresh_from_db()
    return bool(changed)


# --- The outcome, recorded with the decision ----------------------------------------------------


def outcome_errors(*, loop: Loop, outcome: str, attendees: Sequence[User]) -> dict[str, str]:
    """What is wrong with a debrief outcome given with a decision (field keys)."""
    if not outcome:
        return {"attendees": "Say first whether the debrief was held."} if attendees else {}
    if outcome not in DebriefOutcome.Outcome.values:
        return {"debrief_outcome": "Choose held, not needed or skipped."}
    if outcome != DebriefOutcome.Outcome.HELD:
        if attendees:
            return {"attendees": "Only a debrief that was held has attendees."}
        return {}
    if not attendees:
        return {"attendees": "Tick who attended the debrief."}
    allowed = {person.pk for person in invitees(loop)}
    if any(person.pk not in allowed for person in attendees):
        return {"attendees": "Attendees are the panel and the hiring manager."}
    return {}


def outcome_record(
    *, decision: Decision, outcome: str, attendees: Sequence[User]
) -> DebriefOutcome | None:
    """Write the checked outcome for ``decision`` (in the decision's transaction)."""
    if not outcome:
        return None
    record = DebriefOutcome.objects.create(decision=decision, outcome=outcome)
    record.attendees.set(attendees)
    return record


def outcome_snapshot(outcome: str, attendees: Sequence[User]) -> dict[str, Any] | None:
    """The outcome as the audit trail keeps it."""
    if not outcome:
        return None
    return {
        "outcome": outcome,
        "attendees": sorted(person.pk for person in attendees),
    }
