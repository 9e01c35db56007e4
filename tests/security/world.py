"""One seeded world for the security tests: two requisitions, their staff and panels, loops
at several stages, a candidate in both requisitions, and a sentinel string planted in every
confidential field, made through the services so the audit trail, notifications, summaries
and calibration hold them too.

Requisition A (profile: VP of Product)
- A1 "ready": the shared candidate; ivy and jon submitted (ivy amended); ready for debrief.
- A2 "open": Olive; sam submitted; owen has a draft (owes); rosa (a recruiter of A) and
  mia (A's hiring manager) share an interview and owe.
- A3 "decided": Dora; jon submitted; mia decided.
Requisition B (its own profile)
- B1 "decided": the shared candidate; bea submitted; max decided.
- B2 "open": Bert, a candidate of B only; bea owes.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client
from django.utils import timezone

from hiring import attachments, debriefs, decisions, outcomes, privacy, services
from hiring.models import (
    AuditEvent,
    CalendarSource,
    Candidate,
    Decision,
    Dimension,
    Interview,
    Loop,
    Notification,
    PlanSlot,
    Requisition,
    RoleProfile,
    SchedulingProfile,
    TrainingRecord,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from hiring.roles import RECRUITERS_GROUP
from scorecards import services as scorecard_services
from scorecards.calibration.summaries import (
    calibration_refit,
    loop_summary_compute,
    refresh_open_summaries,
)
from scorecards.magic_links import magic_link_url
from scorecards.models import (
    DimensionRating,
    InterviewerCalibration,
    LoopSummary,
    Scorecard,
)
from scorecards.services import RatingInput, ScorecardContent
from signin.tokens import token_create

# Who visits. "magic_link" is an anonymous browser holding owen's e-mail link for his
# interview on A2; every other persona but "anonymous" is signed in as that user.
PERSONAS = (
    "superuser",
    "recruiter_a",
    "recruiter_b",
    "manager_a",
    "manager_b",
    "panel_owes",
    "panel_submitted",
    "recruiter_a_owes",
    "outsider",
    "anonymous",
    "magic_link",
)
# The users behind the personas (manager_a sits on A2's panel and owes: the hiring manager
# case of the blind rule).
USERNAMES = {
    "superuser": "root",
    "recruiter_a": "rita",
    "recruiter_b": "rob",
    "manager_a": "mia",
    "manager_b": "max",
    "panel_owes": "owen",
    "panel_submitted": "sam",
    "recruiter_a_owes": "rosa",
    "outsider": "olga",
    "magic_link": "owen",
}
STAFF = {"root", "rita", "rob", "rosa"}  # may enter the admin
# Every sentinel build_world plants (parametrised tests need them before the world exists).
SENTINEL_LABELS = (
    "NOTES-SHARED",
    "NAME-A2",
    "EMAIL-A2",
    "NOTES-A2",
    "NAME-B2",
    "EMAIL-B2",
    "NOTES-B2",
    "EVIDENCE-A1",
    "EVIDENCE-A1-AMENDED",
    "AMENDMENT-A1",
    "TAKEAWAY-A1",
    "EVIDENCE-A2",
    "TAKEAWAY-A2",
    "DRAFT-A2",
    "EVIDENCE-B1",
    "TAKEAWAY-B1",
    "RATIONALE-A3",
    "RATIONALE-B1",
    "COMMENT-A1",
    "COMMENT-A2",
    "OUTCOME-A3",
    "WEBHOOK-SECRET",
)


def _token(label: str) -> str:
    return f"SENTINEL-{label}-{uuid.uuid4().hex[:12].upper()}"


@dataclass
class Sentinel:
    label: str
    text: str
    may_see: frozenset[str]  # personas allowed to receive it
    why: str


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    objects: dict[str, Model] = field(default_factory=dict)
    sentinels: dict[str, Sentinel] = field(default_factory=dict)

    def user(self, persona: str) -> User | None:
        name = USERNAMES.get(persona)
        return self.users[name] if name else None

    def obj(self, name: str) -> Any:
        return self.objects[name]

    def plant(self, label: str, may_see: set[str], why: str) -> str:
        text = _token(label)
        self.sentinels[label] = Sentinel(label, text, frozenset(may_see | {"superuser"}), why)
        return text


A_STAFF = {"recruiter_a", "recruiter_a_owes", "manager_a"}
B_STAFF = {"recruiter_b", "manager_b"}


def _user(world: World, username: str, *, staff: bool = False, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password="pw",
        first_name=username.title(),
        last_name="Tester",
        is_staff=staff or superuser,
        is_superuser=superuser,
    )
    if staff and not superuser:
        user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    world.users[username] = user
    return user


def _candidate(full_name: str, email: str, notes: str, by: User) -> Candidate:
    return privacy.candidate_save(
        candidate=Candidate(full_name=full_name, email=email, recruiter_notes=notes), by=by
    )


def _interview(loop: Loop, title: str, panel: list[User], dims: list[Dimension]) -> Interview:
    start = timezone.now() - timedelta(days=2)
    interview = Interview.objects.create(
        loop=loop, title=title, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    interview.interviewers.set(panel)
    interview.focus_dimensions.set(dims)
    return interview


def _content(interview: Interview, evidence: str, takeaways: str, rating: int, **extra: Any) -> Any:
    return ScorecardContent(
        ratings={
            d.pk: RatingInput(rating=rating, evidence=evidence)
            for d in interview.focus_dimensions.all()
        },
        overall_recommendation=extra.pop("recommendation", "yes"),
        key_takeaways=takeaways,
        **extra,
    )


def _submit(interview: Interview, person: User, content: ScorecardContent) -> Scorecard:
    scorecard = scorecard_services.scorecard_get_or_create(interview=interview, interviewer=person)
    scorecard_services.scorecard_submit(scorecard=scorecard, by=person, content=content)
    return scorecard


def build_world() -> World:
    w = World()
    root = _user(w, "root", superuser=True)
    rita, rob, rosa = (_user(w, name, staff=True) for name in ("rita", "rob", "rosa"))
    mia, max_, owen, sam, olga, ivy, jon, bea = (
        _user(w, name) for name in ("mia", "max", "owen", "sam", "olga", "ivy", "jon", "bea")
    )

    vp = RoleProfile.objects.get(slug="vp-of-product")
    profile_b = RoleProfile.objects.create(name="Head of Data (B)", slug="head-of-data-b")
    judgment = Dimension.objects.create(
        profile=profile_b, name="Judgment", slug="judgment", meets_bar="ok", excellent="great"
    )
    dims_a = list(vp.dimensions.order_by("order", "pk")[:2])
    req_a = Requisition.objects.create(title="A: VP of Product", profile=vp, hiring_manager=mia)
    req_a.recruiters.set([rita, rosa])
    req_b = Requisition.objects.create(
        title="B: Head of Data", profile=profile_b, hiring_manager=max_
    )
    req_b.recruiters.set([rob])

    # --- Candidates: names, e-mails and notes -------------------------------------------
    every_staff = A_STAFF | B_STAFF
    shared = _candidate(
        "Sasha Shared",
        "sasha.shared@example.com",
        w.plant("NOTES-SHARED", every_staff, "recruiter notes: staff of A and of B"),
        rita,
    )
    a2_panel = {"panel_owes", "panel_submitted", "magic_link"}
    olive = _candidate(
        f"Olive {w.plant('NAME-A2', A_STAFF | a2_panel, 'name: A staff and A2 panel')}",
        f"{w.plant('EMAIL-A2', A_STAFF, 'contact: A staff only').lower()}@example.com",
        w.plant("NOTES-A2", A_STAFF, "recruiter notes: A staff only"),
        rita,
    )
    dora = _candidate("Dora Decided", "dora@example.com", "", rita)
    bert = _candidate(
        f"Bert {w.plant('NAME-B2', B_STAFF, 'name of a B-only candidate: B staff')}",
        f"{w.plant('EMAIL-B2', B_STAFF, 'contact of a B-only candidate').lower()}@example.com",
        w.plant("NOTES-B2", B_STAFF, "recruiter notes of a B-only candidate"),
        rob,
    )
    # An audited edit, so the trail has a before and an after.
    shared.current_title = "Director"
    privacy.candidate_save(candidate=shared, by=rita)

    # --- Loops, interviews and scorecards -------------------------------------------------
    a1 = Loop.objects.create(candidate=shared, requisition=req_a)
    a2 = Loop.objects.create(candidate=olive, requisition=req_a)
    a3 = Loop.objects.create(candidate=dora, requisition=req_a)
    b1 = Loop.objects.create(candidate=shared, requisition=req_b)
    b2 = Loop.objects.create(candidate=bert, requisition=req_b)

    i_ivy = _interview(a1, "A1 strategy", [ivy], dims_a)
    i_jon = _interview(a1, "A1 leadership", [jon], dims_a)
    i_owen = _interview(a2, "A2 strategy", [owen], dims_a)
    i_sam = _interview(a2, "A2 leadership", [sam], dims_a)
    i_staff = _interview(a2, "A2 hiring team chat", [rosa, mia], dims_a)
    i_dora = _interview(a3, "A3 strategy", [jon], dims_a)
    i_bea = _interview(b1, "B1 judgment", [bea], [judgment])
    _interview(b2, "B2 judgment", [bea], [judgment])

    a1_readers = {"recruiter_a", "recruiter_a_owes", "manager_a"}  # none of them on A1's panel
    s_ivy = _submit(
        i_ivy,
        ivy,
        _content(i_ivy, w.plant("EVIDENCE-A1", a1_readers, "A1 evidence"), "ok", 3),
    )
    amended = _content(
        i_ivy,
        w.plant("EVIDENCE-A1-AMENDED", a1_readers, "A1 amended evidence"),
        "ok",
        4,
        amendment_reason=w.plant("AMENDMENT-A1", a1_readers, "A1 amendment reason"),
    )
    scorecard_services.scorecard_submit(scorecard=s_ivy, by=ivy, content=amended, amend=True)
    _submit(
        i_jon,
        jon,
        _content(i_jon, "solid", w.plant("TAKEAWAY-A1", a1_readers, "A1 takeaways"), 3),
    )
    # A2: readers are A's staff not on the panel (recruiter_a) and sam, who submitted.
    a2_readers = {"recruiter_a", "panel_submitted"}
    s_sam = _submit(
        i_sam,
        sam,
        _content(
            i_sam,
            w.plant("EVIDENCE-A2", a2_readers, "A2 evidence: the owing panel never"),
            w.plant("TAKEAWAY-A2", a2_readers, "A2 takeaways"),
            4,
            recommendation="strong_yes",
        ),
    )
    s_owen = scorecard_services.scorecard_get_or_create(interview=i_owen, interviewer=owen)
    scorecard_services.scorecard_save_draft(
        scorecard=s_owen,
        by=owen,
        content=_content(
            i_owen,
            w.plant("DRAFT-A2", {"panel_owes", "magic_link"}, "a draft: its author only"),
            "",
            2,
        ),
    )
    _submit(i_dora, jon, _content(i_dora, "fine", "fine", 3))
    b_readers = B_STAFF
    s_bea = _submit(
        i_bea,
        bea,
        _content(
            i_bea,
            w.plant("EVIDENCE-B1", b_readers, "B1 evidence: never A's staff"),
            w.plant("TAKEAWAY-B1", b_readers, "B1 takeaways"),
            2,
            recommendation="no",
        ),
    )
    Loop.objects.filter(pk=a1.pk).update(status=Loop.Status.READY_FOR_DEBRIEF)
    Loop.objects.filter(pk__in=[a2.pk, b2.pk]).update(status=Loop.Status.AWAITING_FEEDBACK)

    # --- Summaries, calibration, decisions ------------------------------------------------
    calibration_refit()
    for loop in (a1, a2, a3, b1, b2):
        loop_summary_compute(loop_id=loop.pk)
    d_a3 = decisions.decision_record(
        loop=a3,
        outcome="hire",
        rationale=w.plant("RATIONALE-A3", A_STAFF, "decision rationale: A staff"),
        by=mia,
    )
    # How the A3 hire did (issue 18): its staff's, never an interviewer's. HR's import
    # (by=None) records it before it is due.
    o_a3 = outcomes.record_outcome(
        loop=a3,
        months=6,
        performance=4,
        still_employed=True,
        regretted=None,
        note=w.plant("OUTCOME-A3", A_STAFF, "outcome after the hire: A staff"),
        by=None,
    )
    d_b1 = decisions.decision_record(
        loop=b1,
        outcome="no_hire",
        rationale=w.plant("RATIONALE-B1", B_STAFF, "decision rationale: B staff"),
        by=max_,
    )

    # --- Notifications and webhooks -------------------------------------------------------
    services.loop_send_invites(loop=a2, by=rita)
    services.loop_send_invites(loop=b2, by=rob)
    subscription = WebhookSubscription.objects.create(
        name="ATS",
        url="https://ats.example.com/hook",
        events=["decision.recorded"],
        secret=w.plant("WEBHOOK-SECRET", set(), "a subscription's secret: superusers"),
        created_by=root,
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        topic="decision.recorded",
        body=json.dumps({"type": "decision.recorded", "data": {"decision_id": d_b1.pk}}),
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )

    # --- The debrief (issue 18): A1's is scheduled and discussed; A2's discussion is read
    # by A's staff who owe nothing there (rosa and mia sit on its panel and owe).
    debrief_at = timezone.now() + timedelta(days=3)
    debriefs.debrief_schedule(
        loop=a1,
        starts_at=debrief_at,
        ends_at=debrief_at + timedelta(minutes=45),
        time_zone="UTC",
        location="Room A1",
        by=rita,
    )
    c_a1 = debriefs.comment_post(
        loop=a1, body=w.plant("COMMENT-A1", a1_readers, "A1 debrief discussion"), by=rita
    )
    c_a2 = debriefs.comment_post(
        loop=a2,
        body=w.plant("COMMENT-A2", {"recruiter_a"}, "A2 debrief discussion: not the owing"),
        by=rita,
    )

    token = token_create(owner=olga, name="olga's script").token

    attempt = AccessAttempt.objects.create(
        username="olga",
        ip_address="127.0.0.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/login/",
        get_data="",
        post_data="",
        failures_since_start=1,
    )
    w.objects.update(
        attempt=attempt,
        req_a=req_a,
        req_b=req_b,
        profile_a=vp,
        profile_b=profile_b,
        shared=shared,
        olive=olive,
        dora=dora,
        bert=bert,
        a1=a1,
        a2=a2,
        a3=a3,
        b1=b1,
        b2=b2,
        i_ivy=i_ivy,
        i_owen=i_owen,
        i_sam=i_sam,
        i_staff=i_staff,
        i_bea=i_bea,
        s_ivy=s_ivy,
        s_sam=s_sam,
        s_owen=s_owen,
        s_bea=s_bea,
        d_a3=d_a3,
        d_b1=d_b1,
        o_a3=o_a3,
        subscription=subscription,
        delivery=delivery,
        group=Group.objects.get(name=RECRUITERS_GROUP),
        token=token,
        u_olga=olga,
        c_a1=c_a1,
        c_a2=c_a2,
    )
    # Documents: olive's (A staff, A2's panel) and bert's (B staff).
    for name, candidate, by in (("doc_a2", olive, rita), ("doc_b2", bert, rob)):
        w.objects[name] = attachments.attachment_add(
            candidate=candidate,
            file=SimpleUploadedFile(f"{name}.pdf", b"%PDF-1.7\n%%EOF\n"),
            kind="cv",
            by=by,
        )
    # Scheduling (issue 17): sam (A's panel) and bea (B's) have profiles; each is in
    # training on a slot of their requisition's plan.
    w.objects["sched_sam"] = SchedulingProfile.objects.create(user=sam)
    w.objects["sched_bea"] = SchedulingProfile.objects.create(user=bea)
    # Their calendars (issue 17): recruiters see the state of the people they schedule.
    for name, owner in (("calsrc_sam", sam), ("calsrc_bea", bea)):
        source = CalendarSource(owner=owner, kind=CalendarSource.Kind.CALDAV, name=name)
        source.url = f"https://dav.example.com/{owner.username}/work/"
        source.secret = "app-password"
        source.save()
        w.objects[name] = source
    slot_b = PlanSlot.objects.create(requisition=req_b, slug="data-case", title="Case", minutes=60)
    w.objects["train_a"] = TrainingRecord.objects.create(
        person=sam, plan_slot=PlanSlot.objects.filter(profile=vp).order_by("pk").first()
    )
    w.objects["train_b"] = TrainingRecord.objects.create(person=bea, plan_slot=slot_b)
    w.objects["n_a"] = Notification.objects.filter(requisition=req_a).order_by("pk").first()
    w.objects["n_b"] = Notification.objects.filter(requisition=req_b).order_by("pk").first()
    w.objects["e_a"] = AuditEvent.objects.filter(candidate=olive).order_by("pk").first()
    w.objects["e_b"] = AuditEvent.objects.filter(candidate=bert).order_by("pk").first()
    w.objects["sum_a1"] = LoopSummary.objects.get(loop=a1)
    w.objects["sum_a2"] = LoopSummary.objects.get(loop=a2)
    w.objects["sum_b1"] = LoopSummary.objects.get(loop=b1)
    w.objects["cal_ivy"] = InterviewerCalibration.objects.get(interviewer=ivy)
    w.objects["cal_bea"] = InterviewerCalibration.objects.get(interviewer=bea)
    w.objects["refresh"] = refresh_open_summaries()  # the nightly refresh's log
    w.objects["r_ivy"] = DimensionRating.objects.filter(
        revision__scorecard=s_ivy, revision__is_current=True
    ).first()
    w.objects["r_bea"] = DimensionRating.objects.filter(revision__scorecard=s_bea).first()
    assert all(w.objects.values()), [k for k, v in w.objects.items() if not v]
    assert set(w.sentinels) == set(SENTINEL_LABELS)
    for obj in w.objects.values():
        if hasattr(obj, "refresh_from_db"):
            obj.refresh_from_db()  # the rules read statuses, set by services since
    assert Decision.objects.count() == 2
    return w


def client_for(world: World, persona: str) -> Client:
    """A browser for ``persona``: signed in, anonymous, or holding owen's e-mail link."""
    client = Client()
    if persona == "magic_link":
        link = magic_link_url(interview=world.obj("i_owen"), interviewer=world.users["owen"])
        parts = urlsplit(link)
        response = client.get(f"{parts.path}?{parts.query}")
        assert response.status_code == 302, response.status_code
    elif persona != "anonymous":
        user = world.user(persona)
        assert user is not None
        client.force_login(user)
    return client
