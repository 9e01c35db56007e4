"""DESIGN §9: every freshly migrated database holds the rubric, with these exact slugs."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils.text import slugify

from hiring.models import CaseExercise, Dimension, RedFlag, RoleProfile, Signal
from hiring.rubric import load_rubric

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "002_b1fd2a9ac4e1477a.txt"
EXPECTED_SLUGS = [
    "product-strategy",
    "portfolio-prioritization",
    "execution-operating-model",
    "metrics-analytics",
    "customer-market",
    "cross-functional-leadership",
    "commercial-acumen",
    "people-leadership",
    "communication",
    "values-judgment",
]

pytestmark = pytest.mark.django_db


def vp() -> RoleProfile:
    return RoleProfile.objects.get(slug="vp-of-product")


def test_vp_of_product_has_the_ten_dimensions_in_seed_order():
    dimensions = list(vp().dimensions.order_by("order"))
    assert [d.slug for d in dimensions] == EXPECTED_SLUGS
    assert all(d.slug == slugify(d.name) for d in dimensions)


def test_dimension_descriptors_are_the_seed_table_rows():
    seed = SEED.read_text(encoding="utf-8")
    for dimension in vp().dimensions.all():
        row = f"{dimension.name} {dimension.meets_bar} {dimension.excellent}"
        assert row in seed, f"{dimension.name}: descriptors differ from the seed"


def test_case_exercises_signals_and_red_flags_come_from_the_seed():
    seed = SEED.read_text(encoding="utf-8")
    cases = {case.title: case for case in vp().case_exercises.prefetch_related("dimensions")}
    assert {title: case.minutes for title, case in cases.items()} == {
        "Portfolio strategy case": 90,
        "Roadmap triage simulation": 45,
        "Metrics and funnel deep-dive": 60,
        "Leadership scenario": 45,
    }
    assert all(case.dimensions.exists() for case in cases.values())
    assert "Strategy pillars" in cases["Portfolio strategy case"].deliverables
    signals = Signal.objects.filter(profile=vp())
    assert signals.filter(kind="strong").count() == 7
    assert signals.filter(kind="weak").count() == 5
    assert RedFlag.objects.filter(profile=vp()).count() == 5
    for text in [
        *signals.values_list("text", flat=True),
        *vp().red_flags.values_list("text", flat=True),
    ]:
        assert text in seed


def test_must_haves_and_weights_are_set():
    must_haves = set(vp().dimensions.filter(must_have=True).values_list("slug", flat=True))
    assert must_haves == {"product-strategy", "people-leadership", "values-judgment"}
    assert all(d.weight > 0 for d in vp().dimensions.all())


def test_ladder_links_director_below_vp():
    profile = vp()
    assert profile.level_below is not None
    assert profile.level_below.slug == "director-of-product"
    assert profile.level_below.level < profile.level
    ladder = []
    node = RoleProfile.objects.get(slug="chief-product-officer")
    while node is not None:
        ladder.append(node.slug)
        node = node.level_below
    assert ladder == [
        "chief-product-officer",
        "vp-of-product",
        "director-of-product",
        "head-of-product",
        "senior-product-manager",
        "product-manager",
    ]


def test_loading_again_changes_nothing_and_keeps_recruiters_edits():
    dimension = Dimension.objects.get(profile=vp(), slug="communication")
    dimension.meets_bar = "Edited by a recruiter"
    dimension.save()
    counts = (Dimension.objects.count(), CaseExercise.objects.count(), Signal.objects.count())

    assert load_rubric() == []
    call_command("load_rubric")

    assert (
        Dimension.objects.count(),
        CaseExercise.objects.count(),
        Signal.objects.count(),
    ) == counts
    dimension.refresh_from_db()
    assert dimension.meets_bar == "Edited by a recruiter"


def test_a_deleted_profile_is_restored_by_load_rubric():
    RoleProfile.objects.filter(slug="chief-product-officer").delete()
    assert load_rubric() == ["chief-product-officer"]
    assert RoleProfile.objects.get(slug="chief-product-officer").level_below == vp()
