"""factory-boy factories for every model. Interviews default to the VP of Product rubric
that every migrated database holds."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from hiring.models import (
    Candidate,
    Decision,
    Interview,
    Loop,
    Requisition,
    RoleProfile,
    User,
)
from scorecards.models import DimensionRating, Scorecard, ScorecardRevision


def vp_profile() -> RoleProfile:
    return RoleProfile.objects.get(slug="vp-of-product")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    time_zone = "UTC"
    password = factory.django.Password("pw")


class RoleProfileFactory(factory.django.DjangoModelFactory[RoleProfile]):
    class Meta:
        model = RoleProfile

    name = factory.Sequence(lambda n: f"Profile {n}")
    slug = factory.Sequence(lambda n: f"profile-{n}")


class RequisitionFactory(factory.django.DjangoModelFactory[Requisition]):
    class Meta:
        model = Requisition
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"VP of Product #{n}")
    profile = factory.LazyFunction(vp_profile)
    hiring_manager = factory.SubFactory(UserFactory)

    @factory.post_generation
    def recruiters(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.recruiters.add(*extracted)


class CandidateFactory(factory.django.DjangoModelFactory[Candidate]):
    class Meta:
        model = Candidate

    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"candidate{n}@example.com")


class LoopFactory(factory.django.DjangoModelFactory[Loop]):
    class Meta:
        model = Loop

    candidate = factory.SubFactory(CandidateFactory)
    requisition = factory.SubFactory(RequisitionFactory)


class InterviewFactory(factory.django.DjangoModelFactory[Interview]):
    class Meta:
        model = Interview
        skip_postgeneration_save = True

    loop = factory.SubFactory(LoopFactory)
    title = "Portfolio strategy case"
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    time_zone = "Europe/London"

    @factory.post_generation
    def interviewers(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.interviewers.add(*extracted)

    @factory.post_generation
    def focus(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        """Focus dimensions by slug; defaults to the first two of the profile."""
        if not create:
            return
        dimensions = self.loop.requisition.profile.dimensions.all()
        if extracted is not None:
            self.focus_dimensions.set(dimensions.filter(slug__in=extracted))
        else:
            self.focus_dimensions.set(list(dimensions[:2]))


class ScorecardFactory(factory.django.DjangoModelFactory[Scorecard]):
    class Meta:
        model = Scorecard

    interview = factory.SubFactory(InterviewFactory)
    interviewer = factory.SubFactory(UserFactory)


class ScorecardRevisionFactory(factory.django.DjangoModelFactory[ScorecardRevision]):
    class Meta:
        model = ScorecardRevision

    scorecard = factory.SubFactory(ScorecardFactory)
    number = 1


class DimensionRatingFactory(factory.django.DjangoModelFactory[DimensionRating]):
    class Meta:
        model = DimensionRating

    revision = factory.SubFactory(ScorecardRevisionFactory)
    dimension = factory.LazyFunction(lambda: vp_profile().dimensions.first())
    rating = 3
    evidence = "Clear example with numbers."


class DecisionFactory(factory.django.DjangoModelFactory[Decision]):
    class Meta:
        model = Decision

    loop = factory.SubFactory(LoopFactory)
    outcome = Decision.Outcome.HIRE
    rationale = "Strong panel signal on strategy and leadership."
    decided_by = factory.SubFactory(UserFactory)
    decided_at = factory.LazyFunction(timezone.now)
