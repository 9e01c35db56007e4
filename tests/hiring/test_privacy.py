"""Personal data (DESIGN §7): every change to candidates, scorecards and decisions is audited;
a recruiter exports one candidate's data or erases it on request; retention anonymises
decided candidates after CANDIDATE_RETENTION_DAYS, history included."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hiring import privacy
from hiring.decisions import decision_record
from hiring.models import AuditEvent, Candidate, Interview, Loop, Notification, User
from hiring.roles import RECRUITERS_GROUP
from hiring.tasks import anonymise_expired_candidates
from scorecards import exports, services
from scorecards.models import DimensionRating, ScorecardRevision
from scorecards.services import RatingInput, ScorecardContent
from tests.concurrency import collide
from tests.factories import (
    CandidateFactory,
    InterviewFactory,
    LoopFactory,
    RequisitionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADMIN = "/admin/hiring/candidate/"
NAME, EMAIL = "Ada Lovelace", "ada.lovelace@example.com"


# --- Local fixtures ------------------------------------------------------------------------


@pytest.fixture
def other_recruiter() -> User:
    user = UserFactory(username="otto", is_staff=True)
    user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    return user


@pytest.fixture
def ada(world) -> Candidate:
    """The world's candidate, with contact data worth protecting."""
    candidate = world.loop.candidate
    Candidate.objects.filter(pk=candidate.pk).update(
        full_name=NAME,
        email=EMAIL,
        phone="+44 20 7946 0000",
        location="London",
        current_title="CPO",
        current_company="Analytical Engines",
        profile_url="https://example.com/ada",
        source="referral",
        recruiter_notes="Ada prefers mornings.",
    )
    candidate.refresh_from_db()
    return candidate


def content(interview: Interview, evidence: str, **extra: str) -> ScorecardContent:
    dimension_ids = interview.focus_dimensions.order_by("order").values_list("pk", flat=True)
    return ScorecardContent(
        ratings={pk: RatingInput(rating=3, evidence=evidence) for pk in dimension_ids},
        overall_recommendation="yes",
        key_takeaways=extra.get("takeaways", "Solid."),
        amendment_reason=extra.get("reason", ""),
    )


def submit(interview: Interview, interviewer: User, evidence: str) -> ScorecardRevision:
    scorecard = services.scorecard_get_or_create(interview=interview, interviewer=interviewer)
    return services.scorecard_submit(
        scorecard=scorecard, by=interviewer, content=content(interview, evidence)
    )


@pytest.fixture
def assessed(world, ada, interviewer, other_interviewer, hiring_manager) -> Loop:
    """Both scorecards in, naming the candidate in their evidence, and a decision."""
    submit(world.interview, interviewer, f"{NAME} sized the market well; Ada knew it cold.")
    submit(world.other_interview, other_interviewer, f"Mailed {EMAIL} a follow-up; strong.")
    decision_record(loop=world.loop, outcome="hire", rationale="Ada is strong.", by=hiring_manager)
    return world.loop


def events(candidate: Candidate, action: str) -> list[AuditEvent]:
    return list(privacy.audit_events_about(candidate).filter(action=action).order_by("pk"))


def form_data(candidate: Candidate, **changes: str) -> dict[str, str]:
    fields = (*privacy.PERSONAL_FIELDS, "time_zone")
    return {**{name: getattr(candidate, name) for name in fields}, **changes}


def export(client, candidate: Candidate):
    return client.post(f"{ADMIN}{candidate.pk}/personal-data/")


# --- The audit trail -----------------------------------------------------------------------


def test_an_admin_change_to_a_candidate_is_audited_with_before_and_after(client, ada, recruiter):
    client.force_login(recruiter)

    response = client.post(f"{ADMIN}{ada.pk}/change/", form_data(ada, phone="+44 1"))

    assert response.status_code == 302
    [event] = events(ada, "candidate.changed")
    assert event.actor == recruiter
    assert (event.before, event.after) == ({"phone": "+44 20 7946 0000"}, {"phone": "+44 1"})


def test_adding_a_candidate_in_the_admin_is_audited(client, world, recruiter, superuser):
    client.force_login(superuser)
    data = {"full_name": "Grace Hopper", "email": "grace@example.com", "time_zone": "UTC"}

    client.post(f"{ADMIN}add/", data)

    grace = Candidate.objects.get(email="grace@example.com")
    [event] = events(grace, "candidate.created")
    assert event.actor == superuser
    assert event.before is None
    assert (event.after or {})["full_name"] == "Grace Hopper"


@pytest.fixture
def superuser() -> User:
    return UserFactory(username="sam", is_staff=True, is_superuser=True)


def test_a_csv_import_audits_each_created_and_updated_candidate(client, ada, recruiter):
    header = "full_name,email,phone,location,time_zone,current_title,current_company,"
    csv = (
        header + "profile_url,source\n"
        f"{NAME},{EMAIL},,Paris,UTC,CPO,Analytical Engines,https://example.com/ada,referral\n"
        "Grace Hopper,grace@example.com,,Arlington,UTC,VP,Navy,,sourced\n"
    )
    client.force_login(recruiter)
    upload = SimpleUploadedFile("c.csv", csv.encode(), content_type="text/csv")
    requisition = ada.loops.get().requisition_id
    preview = client.post(
        f"{ADMIN}import/", {"format": "0", "import_file": upload, "requisition": requisition}
    )
    assert not AuditEvent.objects.filter(action__startswith="candidate.").exists()  # preview

    client.post(f"{ADMIN}process_import/", {**preview.context["confirm_form"].initial})

    [updated] = events(ada, "candidate.changed_by_import")
    assert updated.actor == recruiter
    assert updated.before == {"phone": "+44 20 7946 0000", "location": "London"}
    assert updated.after == {"phone": "", "location": "Paris"}
    grace = Candidate.objects.get(email="grace@example.com")
    assert [e.actor for e in events(grace, "candidate.imported")] == [recruiter]


def test_submitting_amending_and_discarding_a_scorecard_are_audited(world, interviewer):
    first = submit(world.interview, interviewer, "First take.")
    scorecard = first.scorecard
    services.scorecard_start_amendment(scorecard=scorecard, by=interviewer)
    services.scorecard_discard_amendment(scorecard=scorecard, by=interviewer)
    services.scorecard_submit(
        scorecard=scorecard,
        by=interviewer,
        content=content(world.interview, "Second take.", reason="Mixed up two answers."),
        amend=True,
    )

    trail = AuditEvent.objects.filter(object_type="scorecards.scorecard").order_by("pk")
    assert [e.action for e in trail] == [
        "scorecard.submitted",
        "scorecard.amendment_discarded",
        "scorecard.amended",
    ]
    submitted, discarded, amended = trail
    assert submitted.before is None
    assert submitted.actor == interviewer
    assert {r["evidence"] for r in (submitted.after or {})["ratings"]} == {"First take."}
    assert (discarded.before or {})["revision"] == 2
    assert {r["evidence"] for r in (amended.before or {})["ratings"]} == {"First take."}
    assert {r["evidence"] for r in (amended.after or {})["ratings"]} == {"Second take."}
    assert (amended.after or {})["amendment_reason"] == "Mixed up two answers."


def test_autosaved_drafts_are_not_audited(world, interviewer):
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    services.scorecard_save_draft(
        scorecard=scorecard, content=content(world.interview, "WIP"), by=interviewer
    )
    assert not AuditEvent.objects.exists()


# --- Export --------------------------------------------------------------------------------


def test_the_export_holds_the_candidates_data_and_nobody_elses(client, assessed, ada, recruiter):
    other = LoopFactory(requisition=assessed.requisition).candidate
    client.force_login(recruiter)

    response = export(client, ada)

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="candidate-{ada.pk}.json"'
    data = json.loads(response.content)
    assert data["candidate"]["email"] == EMAIL
    [loop] = data["loops"]
    assert loop["requisition"] == assessed.requisition.title
    assert {i["title"] for i in loop["interviews"]} == {
        "Portfolio strategy case",
        "Leadership scenario",
    }
    interview = loop["interviews"][0]
    assert interview["starts_at"]
    assert interview["panel"]
    [scorecard] = interview["scorecards"]
    [revision] = scorecard["submitted_revisions"]
    assert revision["overall_recommendation"] == "yes"
    assert {r["rating"] for r in revision["ratings"]} == {3}
    assert [d["outcome"] for d in loop["decisions"]] == ["hire"]
    actions = {e["action"] for e in data["audit_events"]}
    assert {"scorecard.submitted", "decision.recorded"} <= actions
    assert other.email not in response.content.decode()
    [exported] = events(ada, "candidate.exported")
    assert exported.actor == recruiter


def test_the_export_action_on_the_list_downloads_one_candidate(client, ada, recruiter):
    client.force_login(recruiter)
    response = client.post(ADMIN, {"action": "export_personal_data", "_selected_action": [ada.pk]})
    assert json.loads(response.content)["candidate"]["full_name"] == NAME


def test_only_the_candidates_recruiters_may_export(client, ada, other_recruiter, outsider):
    client.force_login(other_recruiter)
    assert export(client, ada).status_code == 404
    client.force_login(outsider)  # not staff: the admin sends them to sign in
    response = export(client, ada)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    for user in (other_recruiter, outsider):
        with pytest.raises(PermissionDenied):
            privacy.candidate_export(candidate=ada, by=user)
    assert not events(ada, "candidate.exported")


# --- Erase on request ----------------------------------------------------------------------


@pytest.fixture
def sent_mail(assessed, ada, interviewer) -> list[Notification]:
    now = timezone.now()
    common = {"due_at": now, "status": "sent", "sent_at": now, "reason": "test"}
    return [
        Notification.objects.create(
            content_type=ContentType.objects.get_for_model(Interview),
            object_id=assessed.interviews.first().pk,
            recipient_email=interviewer.email,
            subject=f"Your interview with {NAME}",
            **common,
        ),
        Notification.objects.create(
            content_type=ContentType.objects.get_for_model(Loop),
            object_id=assessed.pk,
            recipient_email=EMAIL,
            subject="Your interview schedule, Ada",
            **common,
        ),
    ]


def ratings_of(loop: Loop) -> list[int | None]:
    ratings = DimensionRating.objects.filter(revision__scorecard__interview__loop=loop)
    return list(ratings.order_by("pk").values_list("rating", flat=True))


def erase(client, candidate: Candidate, reason: str = "Candidate asked by e-mail."):
    return client.post(f"{ADMIN}{candidate.pk}/erase/", {"confirm": "yes", "reason": reason})


def test_erasing_anonymises_the_candidate_and_their_history(
    client, assessed, ada, recruiter, sent_mail
):
    client.force_login(recruiter)
    client.post(f"{ADMIN}{ada.pk}/change/", form_data(ada, location="Paris"))
    ratings_before = ratings_of(assessed)
    page = client.get(f"{ADMIN}{ada.pk}/erase/")
    assert "Reason" in page.content.decode()

    response = erase(client, ada, reason=f"{NAME} asked on the phone.")

    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.full_name == f"Erased candidate #{ada.pk}"
    assert ada.email == f"erased-{ada.pk}@anonymised.invalid"
    assert all(getattr(ada, field) == "" for field in privacy.BLANKED_FIELDS)
    assert ada.anonymised_at is not None
    texts = list(
        DimensionRating.objects.filter(revision__scorecard__interview__loop=assessed).values_list(
            "evidence", flat=True
        )
    )
    assert "[candidate] sized the market well; [candidate] knew it cold." in texts
    assert "Mailed [candidate] a follow-up; strong." in texts
    assert all(NAME not in text and "Ada" not in text for text in texts)
    for notification in sent_mail:
        notification.refresh_from_db()
        assert "Ada" not in notification.subject
        assert EMAIL not in notification.recipient_email
    trail = json.dumps([[e.before, e.after] for e in privacy.audit_events_about(ada)])
    for value in (NAME, "Ada", EMAIL, "London", "Paris", "+44 20 7946 0000"):
        assert value not in trail
    [erased] = events(ada, "candidate.erased")
    assert erased.actor == recruiter
    assert (erased.after or {})["reason"] == "[candidate] asked on the phone."
    # what calibration needs stays
    assert ratings_of(assessed) == ratings_before
    assert assessed.decisions.get().outcome == "hire"
    rows = exports.summary_rows(requisition=assessed.requisition.title)
    assert [row["candidate_email"] for row in rows] == [ada.email]
    assert rows[0]["scorecards"] == 2
    assert exports.interviewer_rows()


def test_erasing_twice_changes_nothing_the_second_time(client, assessed, ada, recruiter):
    client.force_login(recruiter)
    erase(client, ada)
    ada.refresh_from_db()
    snapshot, trail = privacy.candidate_snapshot(ada), AuditEvent.objects.count()

    assert privacy.candidate_erase(candidate=ada, by=recruiter, reason="again") is False

    ada.refresh_from_db()
    assert privacy.candidate_snapshot(ada) == snapshot
    assert AuditEvent.objects.count() == trail


def test_erasing_needs_a_reason(client, ada, recruiter):
    client.force_login(recruiter)
    response = erase(client, ada, reason="  ")
    assert response.status_code == 200
    assert "Say why" in response.content.decode()
    ada.refresh_from_db()
    assert ada.full_name == NAME


def test_the_erase_action_on_the_list_asks_then_erases(client, ada, recruiter):
    client.force_login(recruiter)
    selected = {"action": "erase", "_selected_action": [ada.pk]}
    page = client.post(ADMIN, selected)
    assert page.status_code == 200
    assert NAME in page.content.decode()

    client.post(ADMIN, {**selected, "confirm": "yes", "reason": "Request of 3 March."})

    ada.refresh_from_db()
    assert ada.anonymised_at is not None


def test_a_recruiter_of_another_requisition_cannot_erase(client, ada, other_recruiter):
    client.force_login(other_recruiter)
    assert erase(client, ada).status_code == 404
    client.post(ADMIN, {"action": "erase", "_selected_action": [ada.pk], "confirm": "yes"})
    with pytest.raises(PermissionDenied):
        privacy.candidate_erase(candidate=ada, by=other_recruiter, reason="no")
    ada.refresh_from_db()
    assert (ada.full_name, ada.anonymised_at) == (NAME, None)


def test_an_anonymised_candidate_cannot_be_edited_back(client, ada, recruiter):
    client.force_login(recruiter)
    erase(client, ada)

    page = client.get(f"{ADMIN}{ada.pk}/change/").content.decode()
    assert 'name="full_name"' not in page
    assert "Export personal data" in page

    client.post(f"{ADMIN}{ada.pk}/change/", form_data(ada, full_name=NAME, email=EMAIL))

    ada.refresh_from_db()
    assert ada.full_name == f"Erased candidate #{ada.pk}"
    listing = client.get(ADMIN).content.decode()
    assert "anonymised" in listing


def test_recruiters_see_the_audit_trail_of_their_own_candidates_only(
    client, ada, recruiter, other_recruiter
):
    client.force_login(recruiter)
    page = client.get(f"{ADMIN}{ada.pk}/change/").content.decode()
    assert 'name="full_name"' in page
    assert f"?candidate={ada.pk}" in page
    client.post(f"{ADMIN}{ada.pk}/change/", form_data(ada, phone="+44 1"))
    trail_url = f"/admin/hiring/auditevent/?candidate={ada.pk}"

    assert "candidate.changed" in client.get(trail_url).content.decode()
    client.force_login(other_recruiter)
    assert "candidate.changed" not in client.get(trail_url).content.decode()


# --- Retention -----------------------------------------------------------------------------


def decided(hiring_manager: User, days_ago: int, *, open_loop: bool = False) -> Candidate:
    requisition = RequisitionFactory(hiring_manager=hiring_manager)
    loop = LoopFactory(requisition=requisition)
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        decision_record(loop=loop, outcome="no_hire", rationale="Not yet.", by=hiring_manager)
    if open_loop:
        LoopFactory(candidate=loop.candidate, requisition=RequisitionFactory())
    return loop.candidate


def test_retention_anonymises_candidates_decided_long_enough_ago(hiring_manager, settings):
    settings.CANDIDATE_RETENTION_DAYS = 730
    old = decided(hiring_manager, 731)
    recent = decided(hiring_manager, 700)
    still_open = decided(hiring_manager, 900, open_loop=True)
    withdrawn_loop = LoopFactory(status=Loop.Status.WITHDRAWN)
    Loop.objects.filter(pk=withdrawn_loop.pk).update(
        updated_at=timezone.now() - timedelta(days=800)
    )
    withdrawn = Candidate.objects.get(loops=withdrawn_loop)
    # imported history: decided, no Decision row; it closed when it was last changed
    imported_loop = LoopFactory(status=Loop.Status.DECIDED)
    Loop.objects.filter(pk=imported_loop.pk).update(updated_at=timezone.now() - timedelta(days=800))
    imported = Candidate.objects.get(loops=imported_loop)
    # the decision's date counts, not a later touch of the loop
    Loop.objects.filter(candidate=old).update(updated_at=timezone.now())

    assert privacy.anonymise_expired() == 3

    for candidate in (old, recent, still_open, withdrawn, imported):
        candidate.refresh_from_db()
    assert old.anonymised_at
    assert withdrawn.anonymised_at
    assert imported.anonymised_at
    assert old.full_name == f"Anonymised candidate #{old.pk}"
    assert recent.anonymised_at is None
    assert still_open.anonymised_at is None
    [event] = events(old, "candidate.anonymised")
    assert event.actor is None


def test_retention_zero_anonymises_nobody(hiring_manager, settings):
    settings.CANDIDATE_RETENTION_DAYS = 0
    old = decided(hiring_manager, 5000)
    assert privacy.anonymise_expired() == 0
    old.refresh_from_db()
    assert old.anonymised_at is None


def test_running_retention_twice_anonymises_once_through_the_task(hiring_manager, settings):
    settings.CANDIDATE_RETENTION_DAYS = 730
    old = decided(hiring_manager, 731)

    assert anonymise_expired_candidates() == 1
    assert anonymise_expired_candidates() == 0

    assert len(events(old, "candidate.anonymised")) == 1


def test_retention_queries_grow_by_a_constant_per_candidate(hiring_manager, interviewer, settings):
    """However many scorecards a candidate has, anonymising them costs the same queries."""
    settings.CANDIDATE_RETENTION_DAYS = 730
    counts = []
    for n in (1, 2, 3):
        for i in range(n):
            candidate = decided(hiring_manager, 800)
            for _ in range(i + 1):  # more scorecards for later candidates
                interview = InterviewFactory(loop=candidate.loops.get(), interviewers=[interviewer])
                submit(interview, interviewer, f"{candidate.full_name} was fine.")
        with CaptureQueriesContext(connection) as queries:
            assert privacy.anonymise_expired() == n
        counts.append(len(queries))
    per_candidate = counts[1] - counts[0]
    assert counts[2] - counts[1] == per_candidate
    assert per_candidate <= 30


def test_a_new_candidate_without_loops_is_never_anonymised(settings):
    settings.CANDIDATE_RETENTION_DAYS = 1
    loose = CandidateFactory()
    assert privacy.anonymise_expired(now=timezone.now() + timedelta(days=3650)) == 0
    loose.refresh_from_db()
    assert loose.anonymised_at is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sweeping_at_once_anonymise_each_candidate_once(hiring_manager, settings):
    settings.CANDIDATE_RETENTION_DAYS = 730
    expired = [decided(hiring_manager, 800) for _ in range(6)]
    # the second sweep runs while the first holds its first batch, half-way through it:
    # it must skip those rows (not wait for them, not take them too)
    sweep_module = sys.modules[privacy.anonymise_expired.__module__]
    counts = collide(
        lambda _: privacy.anonymise_expired(batch_size=2),
        inside=(sweep_module, "candidate_anonymise"),
        second="skips",
    )

    assert sum(counts) == len(expired)
    for candidate in expired:
        assert len(events(candidate, "candidate.anonymised")) == 1


def test_the_migration_links_earlier_events_to_their_candidate(world, hiring_manager):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("hiring.migrations.0007_auditevent_candidate")
    decision = decision_record(
        loop=world.loop, outcome="hire", rationale="Strong.", by=hiring_manager
    )
    candidate = world.loop.candidate
    # as written before events named their candidate
    AuditEvent.objects.update(candidate=None)
    own = AuditEvent.objects.create(
        action="candidate.changed", object_type="hiring.candidate", object_id=str(candidate.pk)
    )
    stray = AuditEvent.objects.create(
        action="candidate.changed", object_type="hiring.candidate", object_id="999999"
    )

    migration.link_existing_events(apps, None)

    assert (
        AuditEvent.objects.get(object_type="hiring.decision", object_id=str(decision.pk)).candidate
        == candidate
    )
    own.refresh_from_db()
    stray.refresh_from_db()
    assert own.candidate == candidate
    assert stray.candidate is None
