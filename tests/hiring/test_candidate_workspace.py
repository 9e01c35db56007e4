"""The recruiter's candidates (issue 15, items 1 and 2): a candidate added in the admin or
imported from a CSV file is put forward for one of the recruiter's requisitions at once, so
it never vanishes: "Save and continue editing" lands on its page, "Save" on a list that
shows it, and the requisition's other recruiters work with it too (no other requisition's
do)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hiring import privacy
from hiring.delivery import notifications
from hiring.models import AuditEvent, Candidate, Decision, Interview, Loop, Requisition, User
from hiring.roles import RECRUITERS_GROUP
from scorecards import services
from scorecards.services import RatingInput, ScorecardContent
from tests.factories import (
    CandidateFactory,
    DecisionFactory,
    InterviewFactory,
    LoopFactory,
    RequisitionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADMIN = "/admin/hiring/candidate/"
EVIDENCE = "Sized the market from first principles"
HEADER = (
    "full_name,email,phone,location,time_zone,current_title,current_company,profile_url,source\n"
)
TWO_ROWS = HEADER + (
    "Ada Lovelace,ada@example.com,,London,Europe/London,CPO,Analytical,,referral\n"
    "Grace Hopper,grace@example.com,,Arlington,America/New_York,VP Product,Navy,,sourced\n"
)


def recruiter_named(username: str) -> User:
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_candidate(**extra: object) -> dict[str, object]:
    return {"full_name": "Nia Newcomer", "email": "nia@example.com", "time_zone": "UTC", **extra}


def import_file(client: Client, text: str, **extra: object):
    """Upload ``text`` (the preview), then confirm it as the page's form would."""
    upload = SimpleUploadedFile("candidates.csv", text.encode(), content_type="text/csv")
    preview = client.post(f"{ADMIN}import/", {"format": "0", "import_file": upload, **extra})
    assert preview.context.get("confirm_form") is not None, preview.content.decode()
    return client.post(f"{ADMIN}process_import/", {**preview.context["confirm_form"].initial})


@pytest.fixture
def colleague(world) -> User:
    """A second recruiter of the world's requisition."""
    user = recruiter_named("carla")
    world.requisition.recruiters.add(user)
    return user


@pytest.fixture
def stranger(world) -> User:
    """A recruiter of another requisition only."""
    user = recruiter_named("otto")
    RequisitionFactory(title="Head of Data", recruiters=[user])
    return user


# --- Adding a candidate ----------------------------------------------------------------------


def test_save_and_continue_lands_on_the_new_candidates_page(client, world, recruiter):
    client.force_login(recruiter)

    response = client.post(
        f"{ADMIN}add/", new_candidate(requisition=world.requisition.pk, _continue="1")
    )

    nia = Candidate.objects.get(email="nia@example.com")
    assert response.status_code == 302
    assert response["Location"] == f"{ADMIN}{nia.pk}/change/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Nia Newcomer" in page.content.decode()
    # they are in a loop for the requisition, waiting to be scheduled
    loop = Loop.objects.get(candidate=nia)
    assert (loop.requisition, loop.status) == (world.requisition, Loop.Status.SCHEDULING)


def test_save_lands_on_a_list_that_shows_the_new_candidate(client, world, recruiter):
    client.force_login(recruiter)

    response = client.post(f"{ADMIN}add/", new_candidate(requisition=world.requisition.pk))

    assert response.status_code == 302
    listing = client.get(response["Location"])
    assert response["Location"] == ADMIN
    assert "Nia Newcomer" in listing.content.decode()


def test_putting_a_candidate_forward_is_on_their_audit_trail(client, world, recruiter):
    client.force_login(recruiter)
    client.post(f"{ADMIN}add/", new_candidate(requisition=world.requisition.pk))

    nia = Candidate.objects.get(email="nia@example.com")
    actions = set(
        AuditEvent.objects.filter(candidate=nia, actor=recruiter).values_list("action", flat=True)
    )
    assert actions == {"candidate.created", "loop.created"}


def test_the_requisitions_other_recruiter_works_with_the_new_candidate_at_once(
    world, recruiter, colleague, stranger
):
    signed_in(recruiter).post(f"{ADMIN}add/", new_candidate(requisition=world.requisition.pk))
    nia = Candidate.objects.get(email="nia@example.com")

    theirs = signed_in(colleague)
    assert "Nia Newcomer" in theirs.get(ADMIN).content.decode()
    assert theirs.get(f"{ADMIN}{nia.pk}/change/").status_code == 200
    edited = theirs.post(f"{ADMIN}{nia.pk}/change/", new_candidate(phone="+44 1"))
    assert edited.status_code == 302
    nia.refresh_from_db()
    assert nia.phone == "+44 1"

    # another requisition's recruiter neither lists nor opens them
    other = signed_in(stranger)
    assert "Nia Newcomer" not in other.get(ADMIN).content.decode()
    opened = other.get(f"{ADMIN}{nia.pk}/change/")
    assert opened.status_code == 302  # the admin's "doesn't exist", no page
    assert "Nia" not in other.get(opened["Location"]).content.decode()


def test_the_add_form_offers_only_the_recruiters_open_requisitions(client, world, recruiter):
    theirs = RequisitionFactory(title="Head of Data")
    closed = RequisitionFactory(
        title="VP Sales", recruiters=[recruiter], status=Requisition.Status.CLOSED
    )
    client.force_login(recruiter)

    form = client.get(f"{ADMIN}add/").content.decode()
    assert world.requisition.title in form
    assert theirs.title not in form
    assert closed.title not in form

    # posting another requisition's id is refused, and nothing is written
    for requisition in (theirs, closed):
        response = client.post(f"{ADMIN}add/", new_candidate(requisition=requisition.pk))
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not Candidate.objects.filter(email="nia@example.com").exists()


def test_a_recruiter_must_choose_the_requisition(client, world, recruiter):
    client.force_login(recruiter)

    response = client.post(f"{ADMIN}add/", new_candidate())

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["requisition"] == ["This field is required."]
    assert not Candidate.objects.filter(email="nia@example.com").exists()


def test_an_administrator_may_add_a_candidate_to_no_requisition(client, world):
    admin = UserFactory(username="sam", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post(f"{ADMIN}add/", new_candidate(_continue="1"))

    nia = Candidate.objects.get(email="nia@example.com")
    assert response["Location"] == f"{ADMIN}{nia.pk}/change/"
    assert not nia.loops.exists()


# --- Importing candidates --------------------------------------------------------------------


def test_imported_candidates_are_in_the_list_at_once_and_only_their_requisitions(
    client, world, recruiter, colleague, stranger
):
    client.force_login(recruiter)

    done = import_file(client, TWO_ROWS, requisition=world.requisition.pk)

    assert done.status_code == 302
    listing = client.get(done["Location"])
    text = listing.content.decode()
    assert "Import finished: 2 new" in text
    assert "Ada Lovelace" in text
    assert "Grace Hopper" in text
    loops = Loop.objects.filter(candidate__email__in=["ada@example.com", "grace@example.com"])
    assert {(loop.requisition_id, loop.status) for loop in loops} == {
        (world.requisition.pk, Loop.Status.SCHEDULING)
    }
    assert loops.count() == 2
    assert "Grace Hopper" in signed_in(colleague).get(ADMIN).content.decode()
    assert "Grace Hopper" not in signed_in(stranger).get(ADMIN).content.decode()


def test_the_import_form_refuses_another_requisition(client, world, recruiter, stranger):
    theirs = Requisition.objects.get(title="Head of Data")
    client.force_login(recruiter)
    upload = SimpleUploadedFile("candidates.csv", TWO_ROWS.encode(), content_type="text/csv")

    response = client.post(
        f"{ADMIN}import/", {"format": "0", "import_file": upload, "requisition": theirs.pk}
    )

    assert response.context.get("confirm_form") is None
    assert "Select a valid choice" in response.content.decode()
    assert not Candidate.objects.filter(email="ada@example.com").exists()


def test_importing_a_known_candidate_puts_them_forward_for_another_requisition(
    client, world, recruiter
):
    second = RequisitionFactory(title="Head of Data", recruiters=[recruiter])
    known = world.loop.candidate
    row = f"{known.full_name},{known.email},{known.phone},{known.location},{known.time_zone},"
    row += f"{known.current_title},{known.current_company},{known.profile_url},{known.source}\n"
    client.force_login(recruiter)

    import_file(client, HEADER + row, requisition=second.pk)

    assert set(known.loops.values_list("requisition__title", flat=True)) == {
        world.requisition.title,
        second.title,
    }
    # a second import of the same file changes nothing
    import_file(client, HEADER + row, requisition=second.pk)
    assert known.loops.count() == 2


def test_an_import_that_names_no_requisition_is_refused_for_a_recruiter(client, world, recruiter):
    client.force_login(recruiter)
    upload = SimpleUploadedFile("candidates.csv", TWO_ROWS.encode(), content_type="text/csv")

    response = client.post(f"{ADMIN}import/", {"format": "0", "import_file": upload})

    assert response.context.get("confirm_form") is None
    assert not Candidate.objects.filter(email="ada@example.com").exists()


def test_a_tampered_confirm_step_cannot_switch_to_another_requisition(
    client, world, recruiter, stranger
):
    theirs = Requisition.objects.get(title="Head of Data")
    client.force_login(recruiter)
    upload = SimpleUploadedFile("candidates.csv", TWO_ROWS.encode(), content_type="text/csv")
    preview = client.post(
        f"{ADMIN}import/",
        {"format": "0", "import_file": upload, "requisition": world.requisition.pk},
    )

    data = {**preview.context["confirm_form"].initial, "requisition": theirs.pk}
    response = client.post(f"{ADMIN}process_import/", data)

    assert response.status_code == 200
    assert not Candidate.objects.filter(email="ada@example.com").exists()
    assert not Loop.objects.filter(requisition=theirs).exists()


def test_a_loopless_candidate_of_someone_else_stays_hidden(world, recruiter):
    """The candidates nobody put forward (an administrator's) are no recruiter's."""
    CandidateFactory(full_name="Nobody's Yet", email="nobody@example.com")
    LoopFactory(requisition=RequisitionFactory(), candidate__full_name="Theirs Only")

    listing = signed_in(recruiter).get(ADMIN).content.decode()
    assert "Nobody" not in listing
    assert "Theirs Only" not in listing


# --- The candidate page ----------------------------------------------------------------------


def page_text(response) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def a_loop_with_history(requisition: Requisition, candidate: Candidate, panel: list[User]) -> Loop:
    """A loop of ``candidate`` with two interviews (one cancelled), a submitted scorecard,
    an invite, a stage change with a reason and a decision."""
    loop = LoopFactory(requisition=requisition, candidate=candidate)
    held = InterviewFactory(
        loop=loop, title="Strategy deep dive", interviewers=panel, focus=["product-strategy"]
    )
    InterviewFactory(
        loop=loop, title="Values chat", interviewers=panel[:1], status=Interview.Status.CANCELLED
    )
    dimensions = held.focus_dimensions.values_list("pk", flat=True)
    scorecard = services.scorecard_get_or_create(interview=held, interviewer=panel[0])
    services.scorecard_submit(
        scorecard=scorecard,
        by=panel[0],
        content=ScorecardContent(
            ratings={pk: RatingInput(rating=3, evidence=EVIDENCE) for pk in dimensions},
            overall_recommendation="no",
            key_takeaways=EVIDENCE,
        ),
    )
    notifications.notify(
        reason="interview.invite", obj=held, recipient_email=panel[0].email, recipient=panel[0]
    )
    privacy.audit(
        action="loop.stage_changed",
        obj=loop,
        by=requisition.recruiters.first(),
        candidate_id=candidate.pk,
        before={"status": "scheduling"},
        after={"status": "in_progress", "reason": "Panel confirmed"},
    )
    DecisionFactory(
        loop=loop, outcome=Decision.Outcome.NO_HIRE, decided_by=requisition.hiring_manager
    )
    return loop


def test_the_candidate_page_shows_loops_interviews_and_one_timeline(
    client, world, recruiter, interviewer, other_interviewer
):
    ada = world.loop.candidate
    world.loop.delete()  # a fresh history, built below
    a_loop_with_history(world.requisition, ada, [interviewer, other_interviewer])
    privacy.candidate_save(candidate=ada, by=recruiter)  # nothing changed: no event
    ada.phone = "+44 1"
    privacy.candidate_save(candidate=ada, by=recruiter)
    client.force_login(recruiter)

    text = page_text(client.get(f"{ADMIN}{ada.pk}/change/"))

    # loops with their stage in words
    stage = Loop.objects.get(candidate=ada).get_status_display()
    assert f"Loops Requisition Stage Since {world.requisition.title} {stage}" in text
    # every interview with its status and scorecards in, no scores or evidence
    held = Interview.objects.get(title="Strategy deep dive")
    people = sorted([interviewer, other_interviewer], key=lambda u: (u.last_name, u.first_name))
    panel = ", ".join(person.display_name for person in people)
    assert f"Strategy deep dive · {world.requisition.title} {panel} " in text
    assert f"{panel} {held.get_status_display()} 1 of 2 in" in text
    assert (
        f"Values chat · {world.requisition.title} {interviewer.display_name} Cancelled none owed"
        in text
    )
    assert EVIDENCE not in text
    # one timeline, newest first: the phone change, the decision, the stage change, the invite
    timeline = text[text.index("Activity") :]
    order = [
        timeline.index("Contact data changed · phone by"),
        timeline.index("Decision No hire for"),
        timeline.index("Stage changed · Scheduling → In progress; reason: Panel confirmed"),
        timeline.index("E-mail Interview invitation · to"),
    ]
    assert order == sorted(order)
    assert "no_hire" not in text
    assert "in_progress" not in text


def test_a_cancel_and_a_no_show_show_their_reasons_on_the_candidate_page(
    client, world, recruiter, stranger
):
    from datetime import timedelta

    from django.utils import timezone

    from hiring import services as hiring_services

    ada = world.loop.candidate
    hiring_services.interview_set_status(
        interview=world.other_interview,
        status=Interview.Status.CANCELLED,
        by=recruiter,
        reason="Panel ill",
    )
    started = timezone.now() - timedelta(hours=2)
    Interview.objects.filter(pk=world.interview.pk).update(
        starts_at=started, ends_at=started + timedelta(hours=1)
    )
    hiring_services.interview_set_status(
        interview=world.interview,
        status=Interview.Status.NO_SHOW,
        by=recruiter,
        reason="Never joined the call",
    )
    client.force_login(recruiter)

    timeline = page_text(client.get(f"{ADMIN}{ada.pk}/change/")).split("Activity", 1)[1]

    assert "Interview cancelled" in timeline
    assert "Reason: Panel ill" in timeline
    assert "Interview marked as a no-show" in timeline
    assert "Reason: Never joined the call" in timeline
    # a recruiter of another requisition who also has Ada sees her, not this loop's history
    LoopFactory(requisition=stranger.recruited_requisitions.get(), candidate=ada)
    client.force_login(stranger)
    theirs = page_text(client.get(f"{ADMIN}{ada.pk}/change/"))
    assert "Panel ill" not in theirs
    assert "Never joined the call" not in theirs


def test_the_blind_rule_holds_on_the_candidate_page(client, world, recruiter, interviewer):
    """A recruiter who sits on the panel and still owes their scorecard sees no decision."""
    ada = world.loop.candidate
    world.interview.interviewers.add(recruiter)
    DecisionFactory(
        loop=world.loop, outcome=Decision.Outcome.HIRE, decided_by=world.requisition.hiring_manager
    )
    client.force_login(recruiter)

    text = page_text(client.get(f"{ADMIN}{ada.pk}/change/"))

    assert "Activity" in text
    assert "Decision Hire" not in text


def test_the_candidate_page_costs_the_same_for_one_loop_and_twenty(client, world, recruiter):
    panel = [UserFactory(username=f"panel{n}") for n in range(2)]

    def candidate_with(loops: int) -> Candidate:
        candidate = CandidateFactory()
        for n in range(loops):
            requisition = RequisitionFactory(
                recruiters=[recruiter], hiring_manager=UserFactory(username=f"m{candidate.pk}-{n}")
            )
            a_loop_with_history(requisition, candidate, panel)
        return candidate

    one, twenty = candidate_with(1), candidate_with(20)
    client.force_login(recruiter)
    client.get(f"{ADMIN}{one.pk}/change/")  # warm the caches (content types, sessions)

    def queries(candidate: Candidate) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{ADMIN}{candidate.pk}/change/")
        assert response.status_code == 200
        return len(captured)

    assert queries(one) == queries(twenty)
    assert page_text(client.get(f"{ADMIN}{twenty.pk}/change/")).count("1 of 2 in") == 20
