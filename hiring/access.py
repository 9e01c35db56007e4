"""The one access policy (DESIGN §6). Every surface asks it: the site's pages, every admin
class (querysets, add/change/delete/view, which fields are editable), the API, exports, the
personal-data export, the audit trail and sort orders. Nothing else decides access.

It answers two questions for every object type:

- ``visible(user, Model)``: which objects of this type ``user`` may see (a queryset);
- ``can(user, action, obj)``: may ``user`` do ``action`` to ``obj`` (``check`` raises
  ``PermissionDenied`` with the reason instead).

The relations it is built from:

- *staff* of a requisition: its recruiters and its hiring manager;
- the *panel* of a loop: the interviewers of its interviews;
- the *blind rule*: whoever sits on a loop's panel and still owes a scorecard there sees no
  colleague's feedback about that loop (scores, evidence, summary, recommendation, decision
  rationale), whatever their role, until theirs is in;
- a *magic-link* session is a user signed in for one interview (``scorecards.magic_links``
  narrows the session further, to that interview's pages);
- superusers see and do everything; inactive users nothing.

The policy spans both apps, so this is the one module of ``hiring`` that reads
``scorecards``' models. Querysets are built from ``pk__in`` subqueries and ``Exists`` (no
``union``), so they filter, order and count the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast

from hiring.errors import Refused
from hiring.models import (
    Attachment,
    AuditEvent,
    BookingLink,
    CalendarSource,
    Candidate,
    CaseExercise,
    Debrief,
    DebriefComment,
    DebriefOutcome,
    Decision,
    Dimension,
    HireOutcome,
    Interview,
    Loop,
    LoopStageChange,
    Notification,
    PlanSlot,
    RedFlag,
    Requisition,
    RoleProfile,
    SchedulingProfile,
    Signal,
    TrainingRecord,
    User,
)
from hiring.models.delivery import WebhookDelivery, WebhookSubscription
from scorecards.models import (
    DimensionRating,
    InterviewerCalibration,
    InterviewerLeniency,
    LoopSummary,
    Scorecard,
    ScorecardRevision,
)
from signin.models import ApiToken

M = TypeVar("M", bound=Model)

# Requisition fields only a superuser may change: who staffs it and which rubric it uses
# (DESIGN §6 "requisition staffing"). A recruiter could otherwise make themselves the
# hiring manager and decide.
STAFFING_FIELDS = frozenset({"hiring_manager", "recruiters", "profile"})
# Once saved, a scheduling profile stays its person's and a training record its person's
# and slot's: only an administrator moves one (a recruiter makes a new one instead).
SCHEDULE_KEY_FIELDS = frozenset({"user"})
TRAINING_KEY_FIELDS = frozenset({"person", "plan_slot"})
BLIND_REFUSAL = (
    "You sit on this loop's panel: submit your own scorecard first, then the summary and the "
    "decision open up."
)
API_TOKEN_FIELDS = frozenset(
    {"owner", "name", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"}
)
# A calendar's credentials are shown to nobody; where it is (its server, username, and an
# error that may name them) to superusers only; its name and write-back are all an
# administrator changes (the owner connects it, with its address, on their own page).
CALENDAR_SECRET_FIELDS = frozenset({"url_ciphertext", "secret_ciphertext"})
CALENDAR_PRIVATE_FIELDS = frozenset({"host", "username", "last_error"})
CALENDAR_EDITABLE_FIELDS = frozenset({"name", "write_back"})
# The audit actions that say who added a candidate (the admin, the CSV import).
CREATED_ACTIONS = ("candidate.created", "candidate.imported")


def _all(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def administers(user: Any) -> bool:
    """Whether ``user`` is an administrator: everything is theirs to see and do."""
    return _all(user)


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_authenticated", False))


# --- Relations ------------------------------------------------------------------------------


def requisitions_recruited(user: User) -> QuerySet[Requisition]:
    if _all(user):
        return Requisition.objects.all()
    if not _active(user):
        return Requisition.objects.none()
    return Requisition.objects.filter(
        pk__in=Requisition.recruiters.through.objects.filter(user_id=user.pk).values(
            "requisition_id"
        )
    )


def requisitions_managed(user: User) -> QuerySet[Requisition]:
    if _all(user):
        return Requisition.objects.all()
    if not _active(user):
        return Requisition.objects.none()
    return Requisition.objects.filter(hiring_manager_id=user.pk)


def requisitions_staffed(user: User) -> QuerySet[Requisition]:
    """Requisitions ``user`` recruits for or manages."""
    if _all(user):
        return Requisition.objects.all()
    if not _active(user):
        return Requisition.objects.none()
    return Requisition.objects.filter(
        Q(hiring_manager_id=user.pk) | Q(pk__in=requisitions_recruited(user).values("pk"))
    )


def panel_interviews(user: User) -> QuerySet[Interview]:
    """The interviews ``user`` sits on: the interviewer's own pages (kit, scorecard). Owning
    the requisition is not enough for those: they are the panel's."""
    if not _active(user):
        return Interview.objects.none()
    return Interview.objects.filter(interviewers=user)


def loops_recruited(user: User) -> QuerySet[Loop]:
    if _all(user):
        return Loop.objects.all()
    return Loop.objects.filter(requisition__in=requisitions_recruited(user).values("pk"))


def loops_managed(user: User) -> QuerySet[Loop]:
    if _all(user):
        return Loop.objects.all()
    return Loop.objects.filter(requisition__in=requisitions_managed(user).values("pk"))


def loops_staffed(user: User) -> QuerySet[Loop]:
    """Loops of requisitions ``user`` recruits for or manages: the staff's view (full
    candidate, schedule, decisions)."""
    if _all(user):
        return Loop.objects.all()
    return Loop.objects.filter(requisition__in=requisitions_staffed(user).values("pk"))


def loops_on_panel(user: User) -> QuerySet[Loop]:
    if not _active(user):
        return Loop.objects.none()
    return Loop.objects.filter(pk__in=panel_interviews(user).values("loop_id"))


def _owing_seats(user: User) -> QuerySet[Interview]:
    """``user``'s interviews that still owe their scorecard, in any loop."""
    return (
        Interview.objects.filter(interviewers=user)
        .exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
        .exclude(
            Exists(
                Scorecard.objects.filter(
                    interview=OuterRef("pk"), interviewer=user, status=Scorecard.Status.SUBMITTED
                )
            )
        )
    )


def owed_interviews(user: User, loop: Any) -> QuerySet[Interview]:
    """``user``'s interviews in ``loop`` (a loop id or an ``OuterRef``) that still owe their
    scorecard: while any exists, the blind rule hides the loop's feedback from ``user``."""
    return _owing_seats(user).filter(loop=loop)


def _owed_loop_ids(user: User) -> QuerySet[Interview, Any]:
    """Ids of the loops where ``user`` still owes a scorecard, as a subquery that starts
    from the user's own seats: uncorrelated, so the database computes this small set once
    per query instead of probing it for every row it reads."""
    return _owing_seats(user).values("loop_id")


def feedback_withheld(user: User, loop_ref: str = "pk") -> ExpressionWrapper | Value:
    """An expression for a queryset whose ``loop_ref`` is a loop: whether the blind rule hides
    that loop's feedback from ``user``. A membership test against the user's owed loops (one
    small set per query), so filters and sorts on it touch only the rows being read."""
    if _all(user):
        return Value(False, output_field=BooleanField())
    if not _active(user):
        return Value(True, output_field=BooleanField())
    return ExpressionWrapper(
        Q(**{f"{loop_ref}__in": _owed_loop_ids(user)}), output_field=BooleanField()
    )


def feedback_withheld_for(user: User, loop: Loop) -> bool:
    return not _all(user) and owed_interviews(user, loop.pk).exists()


def loops_with_feedback(user: User) -> QuerySet[Loop]:
    """Staffed loops whose feedback (summary, recommendation, decisions) ``user`` may read:
    not hidden by the blind rule."""
    return loops_staffed(user).exclude(feedback_withheld(user))


# --- Visibility per object type ---------------------------------------------------------------


def _role_profiles(user: User) -> QuerySet[RoleProfile]:
    if _all(user):
        return RoleProfile.objects.all()
    return RoleProfile.objects.filter(pk__in=_requisitions(user).values("profile_id"))


def _requisitions(user: User) -> QuerySet[Requisition]:
    """Own requisitions (staff) and those whose loops ``user`` sits on."""
    if _all(user):
        return Requisition.objects.all()
    return Requisition.objects.filter(
        Q(pk__in=requisitions_staffed(user).values("pk"))
        | Q(pk__in=loops_on_panel(user).values("requisition_id"))
    )


def _loops(user: User) -> QuerySet[Loop]:
    """Staffed loops, and loops ``user`` interviews on (kit fields only: see
    ``is_staff_view``)."""
    if _all(user):
        return Loop.objects.all()
    return Loop.objects.filter(
        Q(pk__in=loops_staffed(user).values("pk")) | Q(pk__in=loops_on_panel(user).values("pk"))
    )


def is_staff_view(user: User, loop_ref: str = "pk") -> Exists | Value:
    """Whether ``user`` reads a loop (``loop_ref``) as its staff, not only as a panelist."""
    if _all(user):
        return Value(True, output_field=BooleanField())
    return Exists(loops_staffed(user).filter(pk=OuterRef(loop_ref)))


def candidates_recruited(user: User) -> QuerySet[Candidate]:
    """Candidates whose data ``user`` may edit, export or erase: in a loop of a requisition
    they recruit for, or in no loop yet and added by them (a new or imported candidate is
    their recruiter's, not everyone's).

    The admin's add form and the CSV import put every new candidate forward for one of the
    recruiter's requisitions in the same transaction (``services.candidate_create``), so the
    loop clause makes them that requisition's at once, for all its recruiters and for no
    other requisition's. The "added by them" clause remains for candidates in no loop: those
    written before that, by a command, or by an administrator who chose no requisition."""
    if _all(user):
        return Candidate.objects.all()
    if not _active(user):
        return Candidate.objects.none()
    added_by_user = AuditEvent.objects.filter(
        actor=user, action__in=CREATED_ACTIONS, candidate_id=OuterRef("pk")
    )
    return Candidate.objects.filter(
        Q(pk__in=loops_recruited(user).values("candidate_id"))
        | (~Exists(Loop.objects.filter(candidate=OuterRef("pk"))) & Exists(added_by_user))
    )


def _candidates(user: User) -> QuerySet[Candidate]:
    """Candidates of staffed loops (all fields), the ones ``user`` recruits (see
    ``candidates_recruited``) and those ``user`` interviews (kit fields only)."""
    if _all(user):
        return Candidate.objects.all()
    return Candidate.objects.filter(
        Q(pk__in=loops_staffed(user).values("candidate_id"))
        | Q(pk__in=candidates_recruited(user).values("pk"))
        | Q(pk__in=loops_on_panel(user).values("candidate_id"))
    )


def candidate_is_staff_view(user: User) -> ExpressionWrapper | Value:
    """For a Candidate queryset: whether ``user`` reads the candidate in full (staff of one
    of their loops, or their recruiter), not only their kit fields."""
    if _all(user):
        return Value(True, output_field=BooleanField())
    return ExpressionWrapper(
        Exists(loops_staffed(user).filter(candidate_id=OuterRef("pk")))
        | Exists(candidates_recruited(user).filter(pk=OuterRef("pk"))),
        output_field=BooleanField(),
    )


def _attachments(user: User) -> QuerySet[Attachment]:
    """A candidate's documents: their recruiters, the staff of their loops, and the panels of
    those loops (the kit lists them) may download them. A magic-link session narrows this
    further to its one interview's candidate (``hiring.attachments``)."""
    if _all(user):
        return Attachment.objects.all()
    return Attachment.objects.filter(
        Q(candidate__in=loops_staffed(user).values("candidate_id"))
        | Q(candidate__in=candidates_recruited(user).values("pk"))
        | Q(candidate__in=loops_on_panel(user).values("candidate_id"))
    )


def _interviews(user: User) -> QuerySet[Interview]:
    if _all(user):
        return Interview.objects.all()
    return Interview.objects.filter(
        Q(loop__in=loops_staffed(user).values("pk")) | Q(pk__in=panel_interviews(user).values("pk"))
    )


def _decisions(user: User) -> QuerySet[Decision]:
    """Decisions of staffed loops whose feedback ``user`` may read: interviewers never; a
    rationale quotes the panel, so the blind rule holds."""
    if _all(user):
        return Decision.objects.all()
    return Decision.objects.filter(loop__in=loops_with_feedback(user).values("pk"))


def _stage_changes(user: User) -> QuerySet[LoopStageChange]:
    """A loop's stage history (the pipeline report reads it): its staff's."""
    return LoopStageChange.objects.filter(loop__in=loops_staffed(user).values("pk"))


def _debriefs(user: User) -> QuerySet[Debrief]:
    """A debrief meeting's time and place: whoever sees the loop (its staff, its panel, who
    are invited to it)."""
    return Debrief.objects.filter(loop__in=_loops(user).values("pk"))


def _debrief_comments(user: User) -> QuerySet[DebriefComment]:
    """The debrief discussion quotes the panel's feedback: only whoever may read the loop's
    summary reads it (staff, not while they owe a scorecard there)."""
    if _all(user):
        return DebriefComment.objects.all()
    return DebriefComment.objects.filter(loop__in=loops_with_feedback(user).values("pk"))


def _debrief_outcomes(user: User) -> QuerySet[DebriefOutcome]:
    """Recorded with a decision, read like it."""
    return DebriefOutcome.objects.filter(decision__in=_decisions(user).values("pk"))


def _hire_outcomes(user: User) -> QuerySet[HireOutcome]:
    """What happened after a hire (issue 18) is about an employee now: the requisition's
    recruiters and hiring manager (and superusers) see it, never someone only on the panel."""
    if _all(user):
        return HireOutcome.objects.all()
    return HireOutcome.objects.filter(loop__in=loops_staffed(user).values("pk"))


def _scorecards(user: User) -> QuerySet[Scorecard]:
    """Every scorecard ``user`` may read:

    - their own, draft or submitted;
    - on a loop whose panel they sit on: colleagues' *submitted* scorecards, once they have
      submitted their own for every interview of theirs in that loop that owes one, if the
      role profile lets colleagues see each other's after submitting;
    - on a loop of a requisition they staff and whose panel they are not on: every
      submitted scorecard;
    - a superuser: everything.
    """
    if _all(user):
        return Scorecard.objects.all()
    if not _active(user):
        return Scorecard.objects.none()
    # The user's panel loops and owed loops are small sets computed once per query, so a
    # read narrowed to one loop (or walked by id) touches only its own rows.
    panel_loops = panel_interviews(user).exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
    on_panel = Q(interview__loop__in=panel_loops.values("loop_id"))
    still_owes = Q(interview__loop__in=_owed_loop_ids(user))
    submitted = Q(status=Scorecard.Status.SUBMITTED)
    colleague = (
        submitted
        & Q(interview__loop__requisition__profile__colleagues_visible_after_submit=True)
        & on_panel
        & ~still_owes
    )
    staff = (
        submitted
        & ~on_panel
        & Q(interview__loop__requisition__in=requisitions_staffed(user).values("pk"))
    )
    return Scorecard.objects.filter(Q(interviewer=user) | colleague | staff)


def _revisions(user: User) -> QuerySet[ScorecardRevision]:
    """Revisions of visible scorecards; another's drafts are their author's alone."""
    return ScorecardRevision.objects.filter(scorecard__in=_scorecards(user).values("pk")).filter(
        Q(scorecard__interviewer=user) | Q(submitted_at__isnull=False)
    )


def _ratings(user: User) -> QuerySet[DimensionRating]:
    return DimensionRating.objects.filter(revision__in=_revisions(user).values("pk"))


def _summaries(user: User) -> QuerySet[LoopSummary]:
    """Summaries of staffed loops, unless the blind rule hides them (interviewers never)."""
    if _all(user):
        return LoopSummary.objects.all()
    return LoopSummary.objects.filter(loop__in=loops_with_feedback(user).values("pk"))


def _calibrations(user: User) -> QuerySet[InterviewerCalibration]:
    """Leniency of the interviewers on the panels of ``user``'s own requisitions."""
    if _all(user):
        return InterviewerCalibration.objects.all()
    panels = Interview.objects.filter(loop__in=loops_staffed(user).values("pk")).values(
        "interviewers"
    )
    return InterviewerCalibration.objects.filter(interviewer__in=panels)


def interviewers_staffed(user: User) -> QuerySet[User]:
    """The people on the panels of ``user``'s requisitions' loops: whose interviewer
    analytics (issue 18) ``user`` reads, computed from those loops only."""
    if _all(user):
        return User.objects.all()
    return User.objects.filter(
        pk__in=Interview.interviewers.through.objects.filter(
            interview__loop__in=loops_staffed(user).values("pk")
        ).values("user_id")
    )


def _leniency_history(user: User) -> QuerySet[InterviewerLeniency]:
    """Every refit's leniency (issue 18): read like the current calibration, and by the
    interviewer themselves (their own analytics page shows their trend)."""
    if _all(user):
        return InterviewerLeniency.objects.all()
    return InterviewerLeniency.objects.filter(
        Q(interviewer__in=interviewers_staffed(user).values("pk")) | Q(interviewer=user)
    )


def _audit_events(user: User) -> QuerySet[AuditEvent]:
    """The trail of the candidates ``user`` recruits, each event only if ``user`` may see
    what it is about: a candidate's own record or documents, a loop or interview they
    staff (a cancel or no-show with its reason), a visible scorecard or decision."""
    if _all(user):
        return AuditEvent.objects.all()

    def ids(queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.annotate(_id=Cast("pk", CharField())).values("_id")

    return AuditEvent.objects.filter(candidate__in=candidates_recruited(user).values("pk")).filter(
        Q(object_type="hiring.candidate")
        | Q(object_type="hiring.attachment")
        | Q(object_type="hiring.loop", object_id__in=ids(loops_staffed(user)))
        | Q(
            object_type="hiring.interview",
            object_id__in=ids(Interview.objects.filter(loop__in=loops_staffed(user))),
        )
        | Q(object_type="scorecards.scorecard", object_id__in=ids(_scorecards(user)))
        | Q(object_type="hiring.decision", object_id__in=ids(_decisions(user)))
        | Q(object_type="hiring.hireoutcome", object_id__in=ids(_hire_outcomes(user)))
    )


def _notifications(user: User) -> QuerySet[Notification]:
    """E-mails of the requisitions ``user`` recruits for, and those addressed to them."""
    if _all(user):
        return Notification.objects.all()
    return Notification.objects.filter(
        Q(requisition__in=requisitions_recruited(user).values("pk")) | Q(recipient=user)
    )


def _rubric(model: type[M]) -> Callable[[User], QuerySet[M]]:
    def visible_parts(user: User) -> QuerySet[M]:
        queryset: QuerySet[M] = model._default_manager.all()
        if _all(user):
            return queryset
        return queryset.filter(profile__in=_role_profiles(user).values("pk"))

    return visible_parts


def _plan_slots(user: User) -> QuerySet[PlanSlot]:
    """Interview plans: a role profile's is read like its rubric (by whoever sees the
    profile), a requisition's own by whoever sees the requisition."""
    if _all(user):
        return PlanSlot.objects.all()
    return PlanSlot.objects.filter(
        Q(profile__in=_role_profiles(user).values("pk"))
        | Q(requisition__in=_requisitions(user).values("pk"))
    )


def _may_plan(user: User, slot: PlanSlot) -> bool:
    """A requisition's own plan is its recruiters'; a role profile's, an administrator's."""
    if slot.requisition_id is not None:
        return _all(user) or _in(requisitions_recruited(user), slot.requisition)
    return _all(user)


def plan_slots_recruited(user: User) -> QuerySet[PlanSlot]:
    """The slots of the plans ``user``'s requisitions follow: their own plans and their role
    profiles' (a trainee learns a slot wherever it is used)."""
    if _all(user):
        return PlanSlot.objects.all()
    recruited = requisitions_recruited(user)
    return PlanSlot.objects.filter(
        Q(requisition__in=recruited.values("pk")) | Q(profile__in=recruited.values("profile_id"))
    )


def people_scheduled(user: User) -> QuerySet[User]:
    """The people whose scheduling ``user`` looks after (issue 17): those in the pools of the
    plans their requisitions follow, on the panels of their requisitions' loops, or in
    training on those plans' slots. A superuser: everyone."""
    if _all(user):
        return User.objects.all()
    if not _active(user):
        return User.objects.none()
    slots = plan_slots_recruited(user).values("pk")
    return User.objects.filter(
        Q(pk__in=PlanSlot.pool.through.objects.filter(planslot__in=slots).values("user_id"))
        | Q(
            pk__in=Interview.interviewers.through.objects.filter(
                interview__loop__in=loops_recruited(user).values("pk")
            ).values("user_id")
        )
        | Q(pk__in=TrainingRecord.objects.filter(plan_slot__in=slots).values("person_id"))
    )


def _scheduling_profiles(user: User) -> QuerySet[SchedulingProfile]:
    """A person's meeting hours, limits and qualifications: the recruiters who schedule them
    read and edit them (and superusers). The person themselves does not edit them in the
    admin (the recruiters' workplace): their limits are a promise to the team, agreed with
    their recruiter, and the proposer reads their real calendar anyway."""
    if _all(user):
        return SchedulingProfile.objects.all()
    return SchedulingProfile.objects.filter(user__in=people_scheduled(user).values("pk"))


def _training_records(user: User) -> QuerySet[TrainingRecord]:
    """Training on the slots of the plans ``user``'s requisitions follow: its recruiters'."""
    if _all(user):
        return TrainingRecord.objects.all()
    return TrainingRecord.objects.filter(plan_slot__in=plan_slots_recruited(user).values("pk"))


def _calendar_sources(user: User) -> QuerySet[CalendarSource]:
    """A connected calendar is its owner's (and a superuser's). The recruiters who schedule
    its owner (``people_scheduled``) see that it exists and its state, never where it is nor
    how it is read (``hidden_fields``). Busy blocks are read only through
    ``hiring.scheduling.busy``."""
    if _all(user):
        return CalendarSource.objects.all()
    return CalendarSource.objects.filter(
        Q(owner=user) | Q(owner__in=people_scheduled(user).values("pk"))
    )


def _api_tokens(user: User) -> QuerySet[ApiToken]:
    """An API token is its owner's (and a superuser's, who may revoke anyone's)."""
    if _all(user):
        return ApiToken.objects.all()
    return ApiToken.objects.filter(owner=user)


def _booking_links(user: User) -> QuerySet[BookingLink]:
    """A candidate's booking links: the loop's recruiters (superusers: all). The candidate
    holds the link itself, which is their permission for that one page
    (``hiring.scheduling.booking``)."""
    if _all(user):
        return BookingLink.objects.all()
    return BookingLink.objects.filter(loop__in=loops_recruited(user))


def _superusers_only(model: type[M]) -> Callable[[User], QuerySet[M]]:
    def visible_to_superusers(user: User) -> QuerySet[M]:
        queryset: QuerySet[M] = model._default_manager.all()
        return queryset if _all(user) else queryset.none()

    return visible_to_superusers


def _users(user: User) -> QuerySet[User]:
    """People a recruiter may staff panels with and see on their requisitions: active users
    (a superuser: everyone). Interviewers and outsiders see only themselves."""
    if _all(user):
        return User.objects.all()
    if requisitions_recruited(user).exists():
        return User.objects.filter(is_active=True)
    return User.objects.filter(pk=user.pk)


_VISIBLE: dict[type[Model], Callable[[Any], QuerySet[Any]]] = {
    RoleProfile: _role_profiles,
    Dimension: _rubric(Dimension),
    CaseExercise: _rubric(CaseExercise),
    Signal: _rubric(Signal),
    RedFlag: _rubric(RedFlag),
    PlanSlot: _plan_slots,
    Requisition: _requisitions,
    Candidate: _candidates,
    Attachment: _attachments,
    Loop: _loops,
    LoopStageChange: _stage_changes,
    Interview: _interviews,
    Decision: _decisions,
    Debrief: _debriefs,
    DebriefComment: _debrief_comments,
    DebriefOutcome: _debrief_outcomes,
    HireOutcome: _hire_outcomes,
    Scorecard: _scorecards,
    ScorecardRevision: _revisions,
    DimensionRating: _ratings,
    LoopSummary: _summaries,
    InterviewerCalibration: _calibrations,
    InterviewerLeniency: _leniency_history,
    AuditEvent: _audit_events,
    Notification: _notifications,
    CalendarSource: _calendar_sources,
    ApiToken: _api_tokens,
    SchedulingProfile: _scheduling_profiles,
    TrainingRecord: _training_records,
    BookingLink: _booking_links,
    WebhookSubscription: _superusers_only(WebhookSubscription),
    WebhookDelivery: _superusers_only(WebhookDelivery),
    User: _users,
}


def visible(user: Any, model: type[M]) -> QuerySet[M]:
    """Every ``model`` object ``user`` may see. A type the policy does not know is visible
    to superusers only, so a new model starts closed."""
    if not _active(user):
        return model._default_manager.none()
    rule = _VISIBLE.get(model)
    if rule is None:
        return _superusers_only(model)(user)
    return rule(user)


# --- Actions -------------------------------------------------------------------------------

Rule = Callable[[User, Any], bool]


def _in(queryset: QuerySet[Any], obj: Any) -> bool:
    return bool(obj is not None and queryset.filter(pk=obj.pk).exists())


def _may_decide(user: User, loop: Loop) -> bool:
    return _all(user) or loop.requisition.hiring_manager_id == user.pk


_ACTIONS: dict[tuple[type[Model], str], tuple[Rule, str]] = {
    (RoleProfile, "change"): (lambda u, o: _all(u), "Only an administrator edits role profiles."),
    (Requisition, "change"): (
        lambda u, o: _in(requisitions_recruited(u), o),
        "Only the requisition's recruiters change it.",
    ),
    # Pipeline analytics (issue 18): the requisition's recruiters and hiring manager.
    (Requisition, "view_pipeline"): (
        lambda u, o: _in(requisitions_staffed(u), o),
        "Only the requisition's recruiters and hiring manager see its pipeline analytics.",
    ),
    (Requisition, "staff"): (
        lambda u, o: _all(u),
        "Only an administrator changes a requisition's hiring manager, recruiters or role profile.",
    ),
    # Interview plans (issue 17): a requisition's own plan is edited by its recruiters, a
    # role profile's (the one every requisition of that role follows) by administrators.
    (RoleProfile, "change_plan"): (
        lambda u, o: _all(u),
        "Only an administrator edits a role profile's interview plan.",
    ),
    (Requisition, "change_plan"): (
        lambda u, o: _in(requisitions_recruited(u), o),
        "Only the requisition's recruiters change its interview plan.",
    ),
    (PlanSlot, "change"): (
        _may_plan,
        "Only the requisition's recruiters (a role profile's plan: an administrator) change it.",
    ),
    (Candidate, "change"): (
        lambda u, o: _in(candidates_recruited(u), o),
        "Only a recruiter of this candidate's requisitions may do this.",
    ),
    # Attachments: the candidate's recruiters add and remove them (and superusers).
    (Candidate, "attach"): (
        lambda u, o: _in(candidates_recruited(u), o),
        "Only a recruiter of this candidate's requisitions adds their documents.",
    ),
    (Attachment, "remove"): (
        lambda u, o: _in(candidates_recruited(u), o.candidate),
        "Only a recruiter of this candidate's requisitions removes their documents.",
    ),
    (Loop, "change"): (
        lambda u, o: _in(loops_recruited(u), o),
        "Only the requisition's recruiters change its loops.",
    ),
    (Loop, "read_feedback"): (
        lambda u, o: _in(loops_staffed(u), o) and not feedback_withheld_for(u, o),
        BLIND_REFUSAL,
    ),
    # Debriefs (issue 18): the recruiters schedule the meeting; whoever may read the summary
    # takes part in its discussion, and only a comment's author deletes it.
    (Loop, "schedule_debrief"): (
        lambda u, o: _in(loops_recruited(u), o),
        "Only the requisition's recruiters schedule its debrief.",
    ),
    (Loop, "discuss"): (
        lambda u, o: _in(loops_staffed(u), o) and not feedback_withheld_for(u, o),
        BLIND_REFUSAL,
    ),
    (DebriefComment, "delete"): (
        lambda u, o: o.author_id == u.pk and _in(_debrief_comments(u), o),
        "Only a comment's author deletes it.",
    ),
    (Loop, "decide"): (
        lambda u, o: _may_decide(u, o),
        "Only the requisition's hiring manager can record a decision.",
    ),
    # Predictive validity (issue 18): how a role's interviews predicted outcomes is its
    # staff's (never the panel's); each interviewer's own record, its recruiters' only.
    (RoleProfile, "read_validity"): (
        lambda u, o: _all(u) or requisitions_staffed(u).filter(profile=o).exists(),
        "Only the staff of this role's requisitions read its predictive validity.",
    ),
    (RoleProfile, "read_interviewer_validity"): (
        lambda u, o: _all(u) or requisitions_recruited(u).filter(profile=o).exists(),
        "Only this role's recruiters read each interviewer's predictive validity.",
    ),
    # Outcomes after the hire (issue 18): the requisition's staff record them, never the panel.
    (Loop, "record_outcome"): (
        lambda u, o: _in(loops_staffed(u), o),
        "Only the requisition's hiring manager and recruiters record outcomes after the hire.",
    ),
    (Loop, "reopen"): (
        lambda u, o: _in(loops_recruited(u), o),
        "Only the requisition's recruiters reopen its loops.",
    ),
    (Interview, "change"): (
        lambda u, o: _in(loops_recruited(u), o.loop),
        "Only the requisition's recruiters change its interviews.",
    ),
    (Interview, "write_scorecard"): (
        lambda u, o: _in(panel_interviews(u), o),
        "Only the interview's panel writes its scorecards.",
    ),
    # Scheduling profiles and training (issue 17): the recruiters who schedule the person
    # (their requisitions' pools, panels and trainees), or who run the slot's plan.
    (User, "schedule"): (
        lambda u, o: _in(people_scheduled(u), o),
        "Only a recruiter whose requisitions this person interviews for sets their hours.",
    ),
    (SchedulingProfile, "change"): (
        lambda u, o: _in(people_scheduled(u), o.user),
        "Only a recruiter whose requisitions this person interviews for sets their hours.",
    ),
    (PlanSlot, "train"): (
        lambda u, o: _in(plan_slots_recruited(u), o),
        "Only the recruiters of a requisition following this plan train people on it.",
    ),
    (TrainingRecord, "change"): (
        lambda u, o: _in(plan_slots_recruited(u), o.plan_slot),
        "Only the recruiters of a requisition following this plan train people on it.",
    ),
    (ApiToken, "revoke"): (
        lambda u, o: _all(u) or o.owner_id == u.pk,
        "Only the token's owner or an administrator revokes it.",
    ),
    # "Sync now": whoever may see the calendar's state may ask for a fresher one.
    (CalendarSource, "sync"): (
        lambda u, o: _in(_calendar_sources(u), o),
        "Only the owner, or a recruiter who schedules them, asks for this calendar's sync.",
    ),
    (Notification, "resend"): (
        lambda u, o: _all(u) or _in(requisitions_recruited(u), o.requisition),
        "This notification belongs to a requisition you do not recruit for.",
    ),
}


def can(user: Any, action: str, obj: Any) -> bool:
    """May ``user`` do ``action`` to ``obj``? ``view`` means: is it in ``visible``. An
    action the policy does not know is a superuser's only."""
    if not _active(user):
        return False
    if action == "view":
        return _in(visible(user, type(obj)), obj)
    rule = _ACTIONS.get((type(obj), action))
    if rule is None:
        return _all(user)
    return rule[0](user, obj)


def check(user: Any, action: str, obj: Any) -> None:
    """Raise ``PermissionDenied`` with the reason unless ``can(user, action, obj)``."""
    if can(user, action, obj):
        return
    rule = _ACTIONS.get((type(obj), action))
    raise Refused(rule[1] if rule else "You may not do this.")


def hidden_fields(user: Any, model: type[Model]) -> frozenset[str]:
    """Fields of ``model`` that ``user`` may not even see (field-level rights)."""
    if model is CalendarSource:
        if _all(user):
            return CALENDAR_SECRET_FIELDS
        return CALENDAR_SECRET_FIELDS | CALENDAR_PRIVATE_FIELDS
    return frozenset()


def readonly_fields(user: Any, model: type[Model]) -> frozenset[str]:
    """Fields of ``model`` that ``user`` may see but not change in a form (field-level
    rights)."""
    if model is CalendarSource:
        shown = {field.name for field in model._meta.concrete_fields} - hidden_fields(user, model)
        return frozenset(shown - CALENDAR_EDITABLE_FIELDS if _all(user) else shown)
    if model is ApiToken:
        # Nobody edits a token, administrators included: its secret was shown once and is
        # gone; what it may do (scope, expiry) was chosen at creation; it is revoked, not edited.
        return API_TOKEN_FIELDS
    if _all(user):
        return frozenset()
    if model is Requisition:
        return STAFFING_FIELDS
    if model is SchedulingProfile:
        return SCHEDULE_KEY_FIELDS
    if model is TrainingRecord:
        return TRAINING_KEY_FIELDS
    return frozenset()
