"""Historical scorecards from CSV (DESIGN §9), so calibration has history from day one.

The whole file is validated before anything is written: any bad row is reported with its
row number (the header is row 1) and reason, and nothing is imported. Rows with the same
candidate, requisition, interviewer and date form one submitted scorecard. Each becomes a
completed interview keyed by ``external_key``, so importing the same file twice changes
nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from hiring import limits, privacy
from hiring.models import Candidate, Dimension, Interview, Loop, Requisition, RoleProfile, User

from .models import DimensionRating, Recommendation, Scorecard, ScorecardRevision

COLUMNS = (
    "candidate_email",
    "candidate_name",
    "requisition",
    "role_profile",
    "interviewer_email",
    "interviewed_on",
    "dimension",
    "rating",
    "recommendation",
)
RECOMMENDATIONS = {choice.value for choice in Recommendation}
KEY_LENGTH = Interview._meta.get_field("external_key").max_length or 0
USERNAME_LENGTH = User._meta.get_field("username").max_length or 0
# What the database holds for each text column: a longer value is a bad row, not a crash.
COLUMN_LIMITS: dict[str, int] = {
    "candidate_email": Candidate._meta.get_field("email").max_length or 0,
    "candidate_name": Candidate._meta.get_field("full_name").max_length or 0,
    "requisition": Requisition._meta.get_field("title").max_length or 0,
    "interviewer_email": User._meta.get_field("email").max_length or 0,
}


class ImportRejected(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Group:
    candidate_email: str
    candidate_name: str
    requisition: str
    profile: RoleProfile
    interviewer_email: str
    interviewed_on: dt.date
    ratings: dict[Dimension, int | None] = field(default_factory=dict)
    recommendation: str = ""
    first_row: int = 0

    @property
    def key(self) -> str:
        key = "import:" + "|".join(
            [
                self.candidate_email,
                self.requisition,
                self.interviewer_email,
                self.interviewed_on.isoformat(),
            ]
        )
        if len(key) <= KEY_LENGTH:
            return key
        # Long e-mails and titles together outgrow the column: their digest is as stable.
        return "import:sha256:" + hashlib.sha256(key.encode()).hexdigest()


@dataclass
class ImportResult:
    scorecards_created: int = 0
    scorecards_skipped: int = 0
    ratings: int = 0


def _validate(reader: Iterable[dict[str, str]]) -> tuple[list[Group], list[str]]:
    profiles = {p.slug: p for p in RoleProfile.objects.all()}
    dimensions = {(d.profile_id, d.slug): d for d in Dimension.objects.all()}
    existing_requisitions = dict(Requisition.objects.values_list("title", "profile__slug"))
    groups: dict[tuple[str, str, str, dt.date], Group] = {}
    requisition_profiles: dict[str, str] = {}
    errors: list[str] = []
    for number, row in enumerate(reader, start=2):
        problems: list[str] = []
        values = {column: (row.get(column) or "").strip() for column in COLUMNS}
        for column, message in limits.length_errors(
            **{column: (values[column], limit) for column, limit in COLUMN_LIMITS.items()}
        ).items():
            problems.append(f"{column}: {message}")
        for column in ("candidate_email", "interviewer_email"):
            try:
                validate_email(values[column])
            except ValidationError:
                problems.append(f"{column} {values[column]!r} is not an e-mail address")
        for column in ("candidate_name", "requisition"):
            if not values[column]:
                problems.append(f"{column} is empty")
        profile = profiles.get(values["role_profile"])
        if profile is None:
            problems.append(f"role_profile {values['role_profile']!r} does not exist")
        try:
            interviewed_on = dt.date.fromisoformat(values["interviewed_on"])
        except ValueError:
            problems.append(f"interviewed_on {values['interviewed_on']!r} is not an ISO date")
            interviewed_on = dt.date.min
        dimension = None
        if profile is not None:
            dimension = dimensions.get((profile.pk, values["dimension"]))
            if dimension is None:
                problems.append(
                    f"dimension {values['dimension']!r} is not a dimension of {profile.slug}"
                )
            title = values["requisition"]
            known = existing_requisitions.get(title) or requisition_profiles.get(title)
            if known is not None and known != profile.slug:
                problems.append(f"requisition {title!r} belongs to role profile {known}")
            requisition_profiles.setdefault(title, profile.slug)
        rating: int | None = None
        if values["rating"]:
            try:
                rating = int(values["rating"])
            except ValueError:
                problems.append(f"rating {values['rating']!r} is not a whole number")
            else:
                scale = profile.rating_scale if profile else 4
                if not 1 <= rating <= scale:
                    problems.append(f"rating {rating} is not on the 1-{scale} scale")
        if values["recommendation"] and values["recommendation"] not in RECOMMENDATIONS:
            problems.append(
                f"recommendation {values['recommendation']!r} is not one of "
                "strong_no, no, yes, strong_yes"
            )
        if problems:
            errors.append(f"row {number}: " + "; ".join(problems))
            continue
        assert profile is not None
        assert dimension is not None
        group_key = (
            values["candidate_email"].lower(),
            values["requisition"],
            values["interviewer_email"].lower(),
            interviewed_on,
        )
        group = groups.setdefault(
            group_key,
            Group(
                candidate_email=group_key[0],
                candidate_name=values["candidate_name"],
                requisition=values["requisition"],
                profile=profile,
                interviewer_email=group_key[2],
                interviewed_on=interviewed_on,
                first_row=number,
            ),
        )
        if dimension in group.ratings:
            errors.append(
                f"row {number}: {dimension.slug} is rated twice in the scorecard that starts "
                f"at row {group.first_row}"
            )
            continue
        recommendation = values["recommendation"]
        if recommendation and group.recommendation and recommendation != group.recommendation:
            errors.append(
                f"row {number}: recommendation {recommendation} differs from "
                f"{group.recommendation} earlier in the same scorecard (row {group.first_row})"
            )
            continue
        group.ratings[dimension] = rating
        group.recommendation = group.recommendation or recommendation
    return list(groups.values()), errors


def import_scorecards(stream: TextIO) -> ImportResult:
    reader = csv.DictReader(stream)
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([f"row 1: missing column(s): {', '.join(missing)}"])
    groups, errors = _validate(reader)
    if errors:
        raise ImportRejected(errors)
    result = ImportResult()
    with transaction.atomic():
        done = set(
            Interview.objects.filter(external_key__in=[g.key for g in groups]).values_list(
                "external_key", flat=True
            )
        )
        for group in groups:
            if group.key in done:
                result.scorecards_skipped += 1
                continue
            _write(group)
            result.scorecards_created += 1
            result.ratings += sum(1 for value in group.ratings.values() if value is not None)
    return result


def _user(email: str) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(username=_username(email), email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _username(email: str) -> str:
    """The e-mail, or for one longer than a username may be, its start and a digest."""
    if len(email) <= USERNAME_LENGTH:
        return email
    digest = hashlib.sha256(email.encode()).hexdigest()[:12]
    return f"{email[: USERNAME_LENGTH - len(digest) - 1]}-{digest}"


def _write(group: Group) -> None:
    candidate = Candidate.objects.filter(email__iexact=group.candidate_email).first()
    if candidate is None:
        candidate = Candidate.objects.create(
            full_name=group.candidate_name, email=group.candidate_email, source="Imported"
        )
        # Audited like the admin's import; the actor is the command line (no user).
        privacy.audit(
            action="candidate.imported",
            obj=candidate,
            by=None,
            after={**privacy.candidate_snapshot(candidate), "via": "import_scorecards"},
        )
    requisition, _ = Requisition.objects.get_or_create(
        title=group.requisition,
        defaults={"profile": group.profile, "status": Requisition.Status.CLOSED},
    )
    # A loop made only for history is already over: it never enters anyone's pipeline.
    loop, _ = Loop.objects.get_or_create(
        candidate=candidate, requisition=requisition, defaults={"status": Loop.Status.DECIDED}
    )
    interviewer = _user(group.interviewer_email)
    starts_at = dt.datetime.combine(group.interviewed_on, dt.time(9), tzinfo=dt.UTC)
    interview = Interview.objects.create(
        loop=loop,
        title="Imported interview",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        status=Interview.Status.COMPLETED,
        external_key=group.key,
    )
    interview.interviewers.add(interviewer)
    interview.focus_dimensions.set(list(group.ratings))
    scorecard = Scorecard.objects.create(
        interview=interview,
        interviewer=interviewer,
        status=Scorecard.Status.SUBMITTED,
        first_submitted_at=starts_at,
        last_submitted_at=starts_at,
    )
    revision = ScorecardRevision.objects.create(
        scorecard=scorecard,
        number=1,
        submitted_at=starts_at,
        is_current=True,
        imported=True,
        overall_recommendation=group.recommendation,
    )
    DimensionRating.objects.bulk_create(
        DimensionRating(
            revision=revision,
            dimension=dimension,
            rating=value,
            not_assessed=value is None,
            scale_max=group.profile.rating_scale,
        )
        for dimension, value in group.ratings.items()
    )
    privacy.audit(
        action="scorecard.imported",
        obj=scorecard,
        by=None,
        candidate_id=candidate.pk,
        after={
            "interviewer": interviewer.email,
            "interviewed_on": group.interviewed_on.isoformat(),
            "ratings": {d.slug: v for d, v in group.ratings.items()},
            "recommendation": group.recommendation,
            "via": "import_scorecards",
        },
    )
