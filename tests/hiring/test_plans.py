"""Interview plans (issue 17, deliverable 1): the shipped VP of Product plan, a requisition's
own plan replacing its profile's, the next slot of a loop, the add form pre-filled from a
slot, the plan on the loop page, and who may read and edit a plan (DESIGN §6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from hiring import access
from hiring.models import Dimension, Interview, PlanSlot, RoleProfile
from hiring.models.plans import order_errors
from hiring.roles import RECRUITERS_GROUP
from hiring.rubric import load_plans, load_rubric
from hiring.scheduling import plans
from tests.factories import (
    InterviewFactory,
    LoopFactory,
    RequisitionFactory,
    RoleProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SHIPPED = [
    ("hiring-manager-conversation", "Hiring manager conversation", 45),
    ("portfolio-strategy-case", "Portfolio strategy case", 90),
    ("portfolio-strategy-readout", "Portfolio strategy readout", 45),
    ("roadmap-triage-simulation", "Roadmap triage simulation", 45),
    ("metrics-and-funnel-deep-dive", "Metrics and funnel deep-dive", 60),
    ("leadership-scenario", "Leadership scenario", 45),
    ("leadership-and-values-conversation", "Leadership and values conversation", 45),
]
ADD = "/admin/hiring/interview/add/"
# Far ahead, so no test depends on today's date (and nothing here is "in the past").
START = datetime(2031, 12, 2, 9, 0, tzinfo=UTC)


def vp() -> RoleProfile:
    return RoleProfile.objects.get(slug="vp-of-product")


def slot(slug: str, profile: RoleProfile | None = None) -> PlanSlot:
    return PlanSlot.objects.get(profile=profile or vp(), slug=slug)


def recruiter_named(username: str):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    return user


def add_form_data(loop, **fields):
    starts_at = fields.pop("starts_at", START)
    ends_at = fields.pop("ends_at", None)
    data = {
        "loop": loop.pk,
        "plan_slot": fields.pop("plan_slot", ""),
        "title": fields.pop("title", "An interview"),
        "starts_at_0": starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": starts_at.strftime("%H:%M:%S"),
        "ends_at_0": ends_at.strftime("%Y-%m-%d") if ends_at else "",
        "ends_at_1": ends_at.strftime("%H:%M:%S") if ends_at else "",
        "time_zone": "UTC",
        "location": "",
        "video_url": "",
        "interviewers": [person.pk for person in fields.pop("interviewers", [])],
        "focus_dimensions": [d.pk for d in fields.pop("focus", [])],
        "case_exercise": fields.pop("case_exercise", ""),
    }
    assert not fields, fields
    return data


# --- The model: what the database and the checks refuse, in words ---------------------------


def test_a_duration_outside_15_minutes_to_8_hours_is_refused_in_words():
    for minutes in (10, 481):
        candidate = PlanSlot(profile=vp(), slug="short", title="Short", minutes=minutes)
        with pytest.raises(ValidationError) as refused:
            candidate.full_clean()
        assert refused.value.message_dict["minutes"] == [
            "An interview slot lasts between 15 and 480 minutes (8 hours)."
        ]
    # and the database keeps the rule for writers that skip the checks
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanSlot.objects.create(profile=vp(), slug="short", title="Short", minutes=5)


def test_a_slot_belongs_to_one_plan_and_cannot_come_after_itself():
    requisition = RequisitionFactory()
    both = PlanSlot(profile=vp(), requisition=requisition, slug="both", title="Both", minutes=30)
    with pytest.raises(ValidationError, match="not both"):
        both.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        both.save()

    first = slot("hiring-manager-conversation")
    first.after = first
    with pytest.raises(ValidationError) as refused:
        first.full_clean()
    assert refused.value.message_dict["after"] == ["A slot cannot come after itself."]
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanSlot.objects.filter(pk=first.pk).update(after=first)


def test_same_day_needs_an_order_and_the_order_stays_in_the_plan():
    alone = slot("leadership-scenario")
    alone.same_day = True
    with pytest.raises(ValidationError) as refused:
        alone.full_clean()
    assert refused.value.message_dict["same_day"] == [
        "“Same day” needs a slot this one comes after."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanSlot.objects.filter(pk=alone.pk).update(same_day=True, after=None)

    own = PlanSlot.objects.create(
        requisition=RequisitionFactory(), slug="debrief", title="Debrief", minutes=30
    )
    own.after = slot("portfolio-strategy-case")
    with pytest.raises(ValidationError) as refused:
        own.full_clean()
    assert refused.value.message_dict["after"] == [
        "“Portfolio strategy case” is a slot of another plan."
    ]


def test_focus_and_case_exercises_must_come_from_the_plans_profile():
    other = RoleProfileFactory(name="Designer")
    foreign = Dimension.objects.create(
        profile=other, name="Craft", slug="craft", meets_bar="ok", excellent="great"
    )
    strategy = vp().dimensions.get(slug="product-strategy")
    case = vp().case_exercises.get(slug="leadership-scenario")

    errors = plans.plan_errors(
        other,
        [plans.SlotRow(key=1, title="Crit", position=1, dimensions=[foreign, strategy])],
    )
    assert errors == ["“Crit”: Product strategy is a dimension of another role profile."]

    stray = PlanSlot(profile=other, slug="crit", title="Crit", minutes=60, case_exercise=case)
    with pytest.raises(ValidationError) as refused:
        stray.full_clean()
    assert refused.value.message_dict["case_exercise"] == [
        "“Leadership scenario” is a case exercise of another role profile."
    ]


def test_an_order_in_a_circle_is_refused_naming_the_circle():
    titles = {1: "Case", 2: "Readout", 3: "Debrief", 4: "Intro"}
    assert order_errors({1: 3, 2: 1, 3: 2, 4: None}, titles) == [
        "These slots wait for each other in a circle: “Case” → “Debrief” → “Readout” → “Case”."
    ]
    assert order_errors({1: None, 2: 1, 3: 2, 4: 1}, titles) == []
    assert order_errors({1: 1}, titles) == ["“Case” cannot come after itself."]


def test_deleting_a_slot_frees_the_one_that_followed_it():
    slot("portfolio-strategy-case").delete()
    readout = slot("portfolio-strategy-readout")
    assert (readout.after, readout.same_day) == (None, False)


# --- The shipped plan: data, with the rubric -------------------------------------------------


def test_the_vp_of_product_plan_ships_with_every_migrated_database():
    plan = plans.profile_plan(vp())
    assert [(s.slug, s.title, s.minutes) for s in plan.slots] == SHIPPED
    assert [s.position for s in plan.slots] == list(range(1, len(SHIPPED) + 1))
    # the four seed case exercises are slots of their own, each with its case
    cases = {
        s.case_exercise.slug
        for s in plan.slots
        if s.case_exercise and s.slug == s.case_exercise.slug
    }
    assert cases == set(vp().case_exercises.values_list("slug", flat=True))
    # the readout follows the portfolio case on the same day; the hiring manager has theirs
    readout = slot("portfolio-strategy-readout")
    assert (readout.after, readout.same_day) == (slot("portfolio-strategy-case"), True)
    assert slot("hiring-manager-conversation").hiring_manager_required


def test_the_shipped_plan_covers_all_ten_dimensions_and_each_must_have_twice():
    plan = plans.profile_plan(vp())
    coverage = plans.plan_coverage(plan)

    assert coverage.missing == []
    assert {d.slug for d in coverage.covered} == set(vp().dimensions.values_list("slug", flat=True))
    assert len(coverage.covered) == 10
    # one cancelled interview never leaves a must-have unassessed
    for must in vp().dimensions.filter(must_have=True):
        holders = [s.title for s in plan.slots if must in s.focus_dimensions.all()]
        assert len(holders) >= 2, f"{must.name} is assessed only by {holders}"
    # and each slot's focus is from the profile (the same check as the admin's)
    rows = [
        plans.SlotRow(
            key=s.pk,
            title=s.title,
            position=s.position,
            dimensions=list(s.focus_dimensions.all()),
            case_exercise=s.case_exercise,
            after=s.after_id,
        )
        for s in plan.slots
    ]
    assert plans.plan_errors(vp(), rows) == []


def test_coverage_names_the_must_haves_a_plan_misses():
    slot("leadership-scenario").focus_dimensions.remove(
        *vp().dimensions.filter(slug="people-leadership")
    )
    slot("leadership-and-values-conversation").delete()

    coverage = plans.plan_coverage(plans.profile_plan(vp()))

    assert [d.slug for d in coverage.must_haves_missing] == ["people-leadership"]


def test_loading_again_changes_nothing_and_keeps_an_administrators_edits():
    edited = slot("roadmap-triage-simulation")
    edited.minutes = 50
    edited.save()
    before = list(PlanSlot.objects.order_by("pk").values())
    dimensions = sorted(PlanSlot.focus_dimensions.through.objects.values_list("pk", flat=True))

    assert load_rubric() == []
    assert load_plans() == []
    call_command("load_rubric")

    assert list(PlanSlot.objects.order_by("pk").values()) == before
    assert (
        sorted(PlanSlot.focus_dimensions.through.objects.values_list("pk", flat=True)) == dimensions
    )


def test_a_profile_without_a_plan_gets_the_shipped_one_back():
    PlanSlot.objects.filter(profile=vp()).delete()

    assert load_plans() == ["vp-of-product"]

    assert [s.slug for s in plans.profile_plan(vp()).slots] == [slug for slug, *_ in SHIPPED]
    assert plans.plan_coverage(plans.profile_plan(vp())).missing == []


# --- A requisition's own plan ----------------------------------------------------------------


def test_a_requisitions_own_plan_replaces_its_profiles():
    mine, theirs = RequisitionFactory(), RequisitionFactory()
    assert plans.plan_for(mine).source == "role_profile"
    assert [s.slug for s in plans.plan_for(mine).slots] == [slug for slug, *_ in SHIPPED]

    own = PlanSlot.objects.create(
        requisition=mine, position=1, slug="founder-chat", title="Founder chat", minutes=30
    )

    plan = plans.plan_for(mine)
    assert (plan.source, plan.slots) == ("requisition", [own])
    assert plans.plan_for(theirs).source == "role_profile"  # the others keep the profile's


# --- A loop's next slot ----------------------------------------------------------------------


def test_next_slot_moves_on_as_interviews_are_placed_and_back_when_one_is_cancelled(world):
    loop = LoopFactory(requisition=world.requisition)
    assert plans.next_slot(loop) == slot("hiring-manager-conversation")

    # placed from the plan (the stored slot)
    first = InterviewFactory(
        loop=loop, title="Intro with Hugo", plan_slot=slot("hiring-manager-conversation")
    )
    assert plans.next_slot(loop) == slot("portfolio-strategy-case")

    # typed by hand with the slot's title: it counts too
    InterviewFactory(loop=loop, title="portfolio strategy CASE")
    assert plans.next_slot(loop) == slot("portfolio-strategy-readout")

    # cancelled (or a no-show), the slot is open again
    Interview.objects.filter(pk=first.pk).update(status=Interview.Status.CANCELLED)
    assert plans.next_slot(loop) == slot("hiring-manager-conversation")

    states = plans.slot_states(loop)
    assert [s.slot.slug for s in states if s.placed] == ["portfolio-strategy-case"]


def test_a_loop_with_every_slot_placed_has_no_next_slot(world):
    loop = LoopFactory(requisition=world.requisition)
    for planned in plans.plan_for(world.requisition).slots:
        InterviewFactory(loop=loop, title="Any title", plan_slot=planned)
    assert plans.next_slot(loop) is None


# --- The loop page and the add form ----------------------------------------------------------


def test_the_loop_page_offers_the_next_slot_and_lists_the_plan(client, world, recruiter):
    # the world's loop has the portfolio case and the leadership scenario
    client.force_login(recruiter)
    page = client.get(f"/admin/hiring/loop/{world.loop.pk}/change/")
    html = page.content.decode()

    first = slot("hiring-manager-conversation")
    link = f"{ADD}?loop={world.loop.pk}&amp;slot={first.pk}"
    assert f'href="{link}">Add next from plan: Hiring manager conversation (45 min)</a>' in html
    rows = {row.slot.slug: row.placed for row in page.context["plan"].rows}
    assert [slug for slug, placed in rows.items() if placed] == [
        "portfolio-strategy-case",
        "leadership-scenario",
    ]
    assert html.count("Not yet") == 5
    assert "This loop follows the VP of Product plan." in html


def test_a_closed_loop_offers_nothing_to_add(client, world, recruiter):
    loop = LoopFactory(requisition=world.requisition, status="withdrawn")
    client.force_login(recruiter)
    html = client.get(f"/admin/hiring/loop/{loop.pk}/change/").content.decode()
    assert "Add next from plan" not in html
    assert "Not yet" in html  # the plan is still listed


def test_the_add_form_is_prefilled_from_the_slot(client, world, recruiter):
    pool = [
        UserFactory(first_name="Pia", last_name="Pool"),
        UserFactory(first_name="<b>Quinn</b>", last_name="Pool"),
    ]
    readout = slot("portfolio-strategy-readout")
    readout.pool.set(pool)
    client.force_login(recruiter)

    page = client.get(f"{ADD}?loop={world.loop.pk}&slot={readout.pk}")

    form = page.context["adminform"].form
    assert form.initial["title"] == "Portfolio strategy readout"
    assert form.initial["plan_slot"] == readout.pk
    assert form.initial["case_exercise"] == readout.case_exercise_id
    assert sorted(form.initial["focus_dimensions"]) == sorted(
        readout.focus_dimensions.values_list("pk", flat=True)
    )
    html = page.content.decode()
    assert 'value="Portfolio strategy readout"' in html
    for dimension in readout.focus_dimensions.all():
        assert f'value="{dimension.pk}"' in html
    assert "lasts 45 minutes: leave the end empty" in html
    # the pool is a hint beside the panel (names escaped: the admin shows help as HTML)
    assert "The plan's pool for this interview: Pia Pool, &lt;b&gt;Quinn&lt;/b&gt; Pool." in html
    assert not form.fields["ends_at"].required


def test_a_slot_of_another_plan_prefills_nothing(client, world, recruiter):
    elsewhere = RequisitionFactory()
    foreign = PlanSlot.objects.create(
        requisition=elsewhere, slug="secret", title="Secret round", minutes=30
    )
    client.force_login(recruiter)
    page = client.get(f"{ADD}?loop={world.loop.pk}&slot={foreign.pk}")
    assert "title" not in page.context["adminform"].form.initial
    assert "Secret round" not in page.content.decode()


@pytest.fixture
def apart(world):
    """The world's two interviews one after the other, as a loop that passed the scheduling
    checks has them (they share an hour otherwise, and every save checks the whole loop)."""
    later = world.interview.ends_at
    Interview.objects.filter(pk=world.other_interview.pk).update(
        starts_at=later, ends_at=later + timedelta(hours=1)
    )
    return world


def test_saving_the_prefilled_form_creates_the_interview_of_the_slot(
    client, apart, world, recruiter, interviewer
):
    readout = slot("portfolio-strategy-readout")
    focus = list(readout.focus_dimensions.all())
    client.force_login(recruiter)

    response = client.post(
        f"{ADD}?loop={world.loop.pk}&slot={readout.pk}",
        add_form_data(
            world.loop,
            plan_slot=readout.pk,
            title=readout.title,
            interviewers=[interviewer],
            focus=focus,
            case_exercise=readout.case_exercise_id,
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    interview = world.loop.interviews.get(title="Portfolio strategy readout")
    assert interview.plan_slot == readout
    assert interview.ends_at - interview.starts_at == timedelta(minutes=45)
    assert set(interview.focus_dimensions.all()) == set(focus)
    assert interview.case_exercise == readout.case_exercise
    assert plans.next_slot(world.loop) == slot("hiring-manager-conversation")
    assert [s.slot.slug for s in plans.slot_states(world.loop) if s.placed] == [
        "portfolio-strategy-case",
        "portfolio-strategy-readout",
        "leadership-scenario",
    ]


def test_the_hiring_manager_slot_needs_the_hiring_manager(
    client, apart, world, recruiter, interviewer, hiring_manager
):
    conversation = slot("hiring-manager-conversation")
    client.force_login(recruiter)
    data = add_form_data(
        world.loop,
        plan_slot=conversation.pk,
        title=conversation.title,
        interviewers=[interviewer],
        focus=list(conversation.focus_dimensions.all()),
    )

    refused = client.post(f"{ADD}?loop={world.loop.pk}", data)

    assert refused.status_code == 200
    assert (
        f"“Hiring manager conversation” needs the hiring manager, {hiring_manager.display_name}, "
        "on its panel (the interview plan says so)."
    ) in refused.context["adminform"].form.non_field_errors()
    assert not world.loop.interviews.filter(plan_slot=conversation).exists()

    data["interviewers"] = [hiring_manager.pk]
    assert client.post(f"{ADD}?loop={world.loop.pk}", data).status_code == 302
    assert world.loop.interviews.filter(plan_slot=conversation).exists()


def test_without_a_slot_the_end_is_still_required(client, world, recruiter, interviewer):
    client.force_login(recruiter)
    data = add_form_data(world.loop, title="Free-form chat", interviewers=[interviewer])
    response = client.post(f"{ADD}?loop={world.loop.pk}", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["ends_at"]


def loop_page_queries(client, loop) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/admin/hiring/loop/{loop.pk}/change/")
    assert response.status_code == 200
    return len(queries)


def test_the_loop_page_costs_the_same_for_2_and_12_plan_slots(client, world, recruiter):
    strategy = world.requisition.profile.dimensions.get(slug="product-strategy")
    case = world.requisition.profile.case_exercises.first()

    def add_slots(count: int, start: int) -> None:
        for n in range(start, start + count):
            own = PlanSlot.objects.create(
                requisition=world.requisition,
                position=n,
                slug=f"slot-{n}",
                title=f"Slot {n}",
                minutes=30,
                case_exercise=case,
                after=PlanSlot.objects.filter(requisition=world.requisition).last(),
            )
            own.focus_dimensions.set([strategy])
            own.pool.set([UserFactory.create()])
            if n % 2:  # half of them placed
                InterviewFactory(loop=world.loop, title=f"Slot {n}", plan_slot=own)

    add_slots(2, 1)
    client.force_login(recruiter)
    few = loop_page_queries(client, world.loop)
    add_slots(10, 3)
    many = loop_page_queries(client, world.loop)

    assert len(plans.plan_for(world.requisition).slots) == 12
    assert few == many


# --- Who may read and edit a plan (DESIGN §6) ------------------------------------------------


def plan_post(requisition, slots):
    data = {
        "title": requisition.title,
        "status": requisition.status,
        "remind_before_hours": 24,
        "remind_morning_of": "on",
        "first_reminder_after_minutes": 60,
        "reminder_interval_hours": 24,
        "escalate_after_hours": 48,
        "plan_slots-TOTAL_FORMS": len(slots),
        "plan_slots-INITIAL_FORMS": 0,
        "plan_slots-MIN_NUM_FORMS": 0,
        "plan_slots-MAX_NUM_FORMS": 1000,
    }
    for n, fields in enumerate(slots):
        row = {
            "id": "",
            "requisition": requisition.pk,
            "position": n + 1,
            "slug": f"slot-{n + 1}",
            "minutes": 45,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 0,
            "focus_dimensions": [],
            "case_exercise": "",
            "pool": [],
            "after": "",
            **fields,
        }
        data.update({f"plan_slots-{n}-{key}": value for key, value in row.items()})
    return data


def test_a_recruiter_edits_their_requisitions_own_plan(client, world, recruiter):
    url = f"/admin/hiring/requisition/{world.requisition.pk}/change/"
    strategy = vp().dimensions.get(slug="product-strategy")
    client.force_login(recruiter)

    response = client.post(
        url,
        plan_post(
            world.requisition, [{"title": "Founder chat", "focus_dimensions": [strategy.pk]}]
        ),
    )

    assert response.status_code == 302
    own = PlanSlot.objects.get(requisition=world.requisition)
    assert (own.title, list(own.focus_dimensions.all())) == ("Founder chat", [strategy])
    assert plans.plan_for(world.requisition).source == "requisition"


def test_the_admin_refuses_a_plan_with_a_clash_in_words(client, world, recruiter):
    url = f"/admin/hiring/requisition/{world.requisition.pk}/change/"
    client.force_login(recruiter)
    response = client.post(
        url,
        plan_post(
            world.requisition,
            [{"title": "Intro", "minutes": 10}, {"title": "Case", "position": 1}],
        ),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "An interview slot lasts between 15 and 480 minutes (8 hours)." in html
    response = client.post(
        url, plan_post(world.requisition, [{"title": "Intro"}, {"title": "Case", "position": 1}])
    )
    assert "“Intro” and “Case” share position 1: give each slot its own." in (
        response.content.decode()
    )
    assert not PlanSlot.objects.filter(requisition=world.requisition).exists()


def test_a_recruiter_of_another_requisition_can_neither_see_nor_edit_the_plan(
    client, world, recruiter
):
    PlanSlot.objects.create(
        requisition=world.requisition, slug="founder-chat", title="Founder chat", minutes=30
    )
    otto = recruiter_named("otto")
    RequisitionFactory(recruiters=[otto])
    client.force_login(otto)
    url = f"/admin/hiring/requisition/{world.requisition.pk}/change/"

    # the admin: not their requisition, so not found (the change page redirects away)
    assert client.get(url).status_code in (302, 404)
    client.post(url, plan_post(world.requisition, [{"title": "Otto's round"}]))
    assert list(
        PlanSlot.objects.filter(requisition=world.requisition).values_list("title", flat=True)
    ) == ["Founder chat"]

    # the policy says the same, and the API answers 404
    assert not access.can(otto, "change_plan", world.requisition)
    assert not access.visible(otto, PlanSlot).filter(requisition=world.requisition).exists()
    api = APIClient()
    api.force_authenticate(otto)
    assert api.get(f"/api/v1/requisitions/{world.requisition.pk}/plan/").status_code == 404


def test_only_an_administrator_edits_a_role_profiles_plan(client, world, recruiter):
    url = f"/admin/hiring/roleprofile/{vp().pk}/change/"
    client.force_login(recruiter)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hiring manager conversation" in html  # read
    assert 'name="plan_slots-0-title"' not in html  # but not editable
    assert not access.can(recruiter, "change_plan", vp())
    assert not access.can(recruiter, "change", slot("leadership-scenario"))
    admin = UserFactory(username="ada", is_staff=True, is_superuser=True)
    assert access.can(admin, "change_plan", vp())
    client.force_login(admin)
    assert 'name="plan_slots-0-title"' in client.get(url).content.decode()


def test_the_api_gives_the_plan_the_requisition_follows(world, recruiter, interviewer, outsider):
    api = APIClient()
    url = f"/api/v1/requisitions/{world.requisition.pk}/plan/"

    api.force_authenticate(recruiter)
    body = api.get(url).json()
    assert body["owner"] == "role_profile"
    assert [s["slug"] for s in body["slots"]] == [slug for slug, *_ in SHIPPED]
    readout = body["slots"][2]
    assert readout["after"] == body["slots"][1]["id"]
    assert readout["same_day"] is True
    assert len(body["covered_dimensions"]) == 10
    assert body["missing_must_haves"] == []

    api.force_authenticate(interviewer)  # on the loop's panel: reads the requisition too
    assert api.get(url).status_code == 200
    api.force_authenticate(outsider)
    assert api.get(url).status_code == 404


def test_the_demo_loops_follow_the_shipped_plan(client, demo):
    from hiring.models import Loop, User
    from scorecards.demo import BRUNO, RECRUITER

    loop = (
        Loop.objects.filter(
            requisition__title="VP of Product, Payments", status__in=Loop.OPEN_STATUSES
        )
        .exclude(candidate__email=BRUNO)
        .first()
    )
    assert loop is not None
    # its panel's case interviews name their slots; the conversations are still to come
    placed = [s.slot.slug for s in plans.slot_states(loop) if s.placed]
    assert placed == [
        "portfolio-strategy-case",
        "roadmap-triage-simulation",
        "metrics-and-funnel-deep-dive",
        "leadership-scenario",
    ]
    fillers = [s.interview for s in plans.slot_states(loop) if s.interview is not None]
    assert [i.plan_slot_id for i in fillers] == [
        slot(slug).pk for slug in placed
    ]  # linked, not only titled alike
    client.force_login(User.objects.get(username=RECRUITER.username))
    html = client.get(f"/admin/hiring/loop/{loop.pk}/change/").content.decode()
    assert "Add next from plan: Hiring manager conversation (45 min)" in html
