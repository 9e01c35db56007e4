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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from hiring import limits, privacy
from hiring.models import Candidate, Dimension, Interview, Loop, Requisition, RoleProfile, User
from scorecards.calibration.summaries import loop_summaries_queue
from scorecards.models import DimensionRating, Recommendation, Scorecard, ScorecardRevision

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
    """Check every row (all its problems at once, in :data:`ROW_CHECKS` order) and gather the
    good ones into scorecards. Returns the scorecards and one error per bad row."""
    catalogue = _Catalogue.load()
    groups: dict[tuple[str, str, str, dt.date], Group] = {}
    errors: list[str] = []
    for number, raw in enumerate(reader, start=2):
        row = _Row(number, {column: (raw.get(column) or "").strip() for column in COLUMNS})
        for check in ROW_CHECKS:
            check(row, catalogue)
        if row.problems:
            errors.append(f"row {number}: " + "; ".join(row.problems))
            continue
        error = _add_to_group(groups, row)
        if error is not None:
            errors.append(error)
    return list(groups.values()), errors


@dataclass
class _Catalogue:
    """What rows are checked against: the role profiles, their dimensions, and the profile of
    each requisition title (in the database, or as first seen earlier in the file)."""

    profiles: dict[str, RoleProfile]
    dimensions: dict[tuple[int, str], Dimension]
    existing_requisitions: dict[str, str]
    requisition_profiles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Catalogue:
        return cls(
            profiles={p.slug: p for p in RoleProfile.objects.all()},
            dimensions={(d.profile_id, d.slug): d for d in Dimension.objects.all()},
            existing_requisitions=dict(Requisition.objects.values_list("title", "profile__slug")),
        )


@dataclass
class _Row:
    """One CSV row being checked: its stripped values, what they resolve to, its problems."""

    number: int  # the header is row 1
    values: dict[str, str]
    profile: RoleProfile | None = None
    dimension: Dimension | None = None
    interviewed_on: dt.date = dt.date.min
    rating: int | None = None
    problems: list[str] = field(default_factory=list)


def _check_text(row: _Row, catalogue: _Catalogue) -> None:
    values = row.values
    for column, message in limits.length_errors(
        **{column: (values[column], limit) for column, limit in COLUMN_LIMITS.items()}
    ).items():
        row.problems.append(f"{column}: {message}")
    for column in ("candidate_email", "interviewer_email"):
        try:
            validate_email(values[column])
        except ValidationError:
            row.problems.append(f"{column} {values[column]!r} is not an e-mail address")
    for column in ("candidate_name", "requisition"):
        if not values[column]:
            row.problems.append(f"{column} is empty")


def _check_profile(row: _Row, catalogue: _Catalogue) -> None:
    row.profile = catalogue.profiles.get(row.values["role_profile"])
    if row.profile is None:
        row.problems.append(f"role_profile {row.values['role_profile']!r} does not exist")


def _check_date(row: _Row, catalogue: _Catalogue) -> None:
    try:
        row.interviewed_on = dt.date.fromisoformat(row.values["interviewed_on"])
    except ValueError:
        row.problems.append(f"interviewed_on {row.values['interviewed_on']!r} is not an ISO date")


def _check_dimension(row: _Row, catalogue: _Catalogue) -> None:
    if row.profile is None:
        return
    row.dimension = catalogue.dimensions.get((row.profile.pk, row.values["dimension"]))
    if row.dimension is None:
        row.problems.append(
            f"dimension {row.values['dimension']!r} is not a dimension of {row.profile.slug}"
        )


def _check_requisition(row: _Row, catalogue: _Catalogue) -> None:
    """A requisition title belongs to one role profile. The first row naming a new title
    claims it, even a bad row: later rows are then judged against the same claim."""
    if row.profile is None:
        return
    title = row.values["requisition"]
    known = catalogue.existing_requisitions.get(title) or catalogue.requisition_profiles.get(title)
    if known is not None and known != row.profile.slug:
        row.problems.append(f"requisition {title!r} belongs to role profile {known}")
    catalogue.requisition_profiles.setdefault(title, row.profile.slug)


def _check_rating(row: _Row, catalogue: _Catalogue) -> None:
    """Blank is allowed (not rated); anything else is a whole number on the profile's scale."""
    text = row.values["rating"]
    if not text:
        return
    try:
        row.rating = int(text)
    except ValueError:
        row.problems.append(f"rating {text!r} is not a whole number")
        return
    scale = row.profile.rating_scale if row.profile else 4
    if not 1 <= row.rating <= scale:
        row.problems.append(f"rating {row.rating} is not on the 1-{scale} scale")


def _check_recommendation(row: _Row, catalogue: _Catalogue) -> None:
    if row.values["recommendation"] and row.values["recommendation"] not in RECOMMENDATIONS:
        row.problems.append(
            f"recommendation {row.values['recommendation']!r} is not one of "
            "strong_no, no, yes, strong_yes"
        )


#: The checks every row goes through, in the order its problems are reported.
ROW_CHECKS: tuple[Callable[[_Row, _Catalogue], None], ...] = (
    _check_text,
    _check_profile,
    _check_date,
    _check_dimension,
    _check_requisition,
    _check_rating,
    _check_recommendation,
)


def _add_to_group(groups: dict[tuple[str, str, str, dt.date], Group], row: _Row) -> str | None:
    """File a good row under its scorecard (same candidate, requisition, interviewer and
    date); the error when the scorecard already rates the dimension or disagrees on the
    overall recommendation."""
    values, number = row.values, row.number
    assert row.profile is not None
    assert row.dimension is not None
    group_key = (
        values["candidate_email"].lower(),
        values["requisition"],
        values["interviewer_email"].lower(),
        row.interviewed_on,
    )
    group = groups.setdefault(
        group_key,
        Group(
            candidate_email=group_key[0],
            candidate_name=values["candidate_name"],
            requisition=values["requisition"],
            profile=row.profile,
            interviewer_email=group_key[2],
            interviewed_on=row.interviewed_on,
            first_row=number,
        ),
    )
    if row.dimension in group.ratings:
        return (
            f"row {number}: {row.dimension.slug} is rated twice in the scorecard that starts "
            f"at row {group.first_row}"
        )
    recommendation = values["recommendation"]
    if recommendation and group.recommendation and recommendation != group.recommendation:
        return (
            f"row {number}: recommendation {recommendation} differs from "
            f"{group.recommendation} earlier in the same scorecard (row {group.first_row})"
        )
    group.ratings[row.dimension] = row.rating
    group.recommendation = group.recommendation or recommendation
    return None


def import_scorecards(stream: TextIO) -> ImportResult:
    reader = csv.DictReader(stream)
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([f"row 1: missing column(s): {', '.join(missing)}"])
    groups, errors = _validate(reader)
    if errors:
        raise ImportRejected(errors)
    result = ImportResult()
    loop_ids: set[int] = set()
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
            loop_ids.add(_write(group))
            result.scorecards_created += 1
            result.ratings += sum(1 for value in group.ratings.values() if value is not None)
        # Their summaries are a worker's job once this commits, not the first page's GET.
        loop_summaries_queue(loop_ids)
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


def _write(group: Group) -> int:
    """Write one scorecard with its history; return its loop's id."""
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
    return loop.pk
