"""What the scorecards app holds about a candidate, for ``hiring.privacy`` (DESIGN §7): the
content of a revision as audited and exported, and the ``Holder`` that exports and scrubs
scorecards when a candidate's data is exported, erased or past retention."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Prefetch, QuerySet, Value, prefetch_related_objects

from hiring import access, privacy
from hiring.models import Candidate, User
from scorecards.models import DimensionRating, Scorecard, ScorecardRevision

_SIGNAL, _RED_FLAG = "signal", "red_flag"  # tell the two relations apart in one query


@dataclass
class Choices:
    """The signals and red flags a revision holds: text by id."""

    signals: dict[int, str] = field(default_factory=dict)
    red_flags: dict[int, str] = field(default_factory=dict)


def revision_choices(revisions: Iterable[ScorecardRevision]) -> dict[int, Choices]:
    """What each of ``revisions`` holds of signals and red flags, by revision id: one query
    for both relations of all of them."""
    pks = [revision.pk for revision in revisions]
    signal_link = ScorecardRevision.signals.through
    flag_link = ScorecardRevision.red_flags.through
    rows = (
        signal_link.objects.filter(scorecardrevision_id__in=pks)
        .order_by()  # SQLite takes no ORDER BY inside a UNION
        .values_list(
            Value(_SIGNAL, output_field=CharField()),
            "scorecardrevision_id",
            "signal_id",
            "signal__text",
        )
        .union(
            flag_link.objects.filter(scorecardrevision_id__in=pks)
            .order_by()
            .values_list(
                Value(_RED_FLAG, output_field=CharField()),
                "scorecardrevision_id",
                "redflag_id",
                "redflag__text",
            ),
            all=True,
        )
    )
    held = {pk: Choices() for pk in pks}
    for kind, revision_id, pk, text in rows:
        choices = held[revision_id]
        (choices.signals if kind == _SIGNAL else choices.red_flags)[pk] = text
    return held


def revision_snapshot(
    revision: ScorecardRevision, choices: Choices | None = None
) -> dict[str, Any]:
    """A revision's content, as audited and exported. Prefetch what it reads
    (``revision_snapshot_prefetch``) or it costs a query per rating; ``choices``, when the
    caller has read them (``revision_choices``), stand for its signals and red flags."""
    if choices is None:
        signals = [signal.text for signal in revision.signals.all()]
        red_flags = [flag.text for flag in revision.red_flags.all()]
    else:
        signals, red_flags = list(choices.signals.values()), list(choices.red_flags.values())
    return {
        "revision": revision.number,
        "submitted_at": revision.submitted_at.isoformat() if revision.submitted_at else None,
        "overall_recommendation": revision.overall_recommendation,
        "key_takeaways": revision.key_takeaways,
        "amendment_reason": revision.amendment_reason,
        "ratings": [
            {
                "dimension": rating.dimension.slug,
                "rating": rating.rating,
                "not_assessed": rating.not_assessed,
                "evidence": rating.evidence,
            }
            for rating in revision.ratings.all()
        ],
        "signals": sorted(signals),
        "red_flags": sorted(red_flags),
    }


def revision_snapshot_prefetch(revisions: list[ScorecardRevision], *, choices: bool = True) -> None:
    """Load what ``revision_snapshot`` reads for all of ``revisions`` at once: a query for
    the ratings (each with its dimension), and unless ``choices`` is False (the caller
    passes them) one for the signals and one for the red flags, however many revisions and
    ratings there are. What is already loaded is not read again."""
    lookups: list[str | Prefetch[Any]] = [
        Prefetch("ratings", DimensionRating.objects.select_related("dimension"))
    ]
    if choices:
        lookups += ["signals", "red_flags"]
    prefetch_related_objects(revisions, *lookups)


def _scorecards_of(candidate: Candidate) -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(interview__loop__candidate=candidate)


def _related(candidate: Candidate) -> list[QuerySet[Any]]:
    return [_scorecards_of(candidate)]


def _export(candidate: Candidate, by: User) -> dict[int, list[dict[str, Any]]]:
    """Each scorecard ``by`` may read (``hiring.access``: the blind rule, their own
    requisitions) with its submitted revisions (drafts are the interviewer's working copy),
    by interview."""
    submitted = ScorecardRevision.objects.filter(submitted_at__isnull=False).prefetch_related(
        "ratings__dimension", "signals", "red_flags"
    )
    by_interview: dict[int, list[dict[str, Any]]] = defaultdict(list)
    scorecards = (
        _scorecards_of(candidate)
        .filter(pk__in=access.visible(by, Scorecard).values("pk"))
        .select_related("interviewer")
        .prefetch_related(Prefetch("revisions", submitted))
        .order_by("pk")
    )
    for scorecard in scorecards:
        by_interview[scorecard.interview_id].append(
            {
                "id": scorecard.pk,
                "interviewer": scorecard.interviewer.display_name,
                "status": scorecard.status,
                "submitted_revisions": [revision_snapshot(r) for r in scorecard.revisions.all()],
            }
        )
    return dict(by_interview)


def _scrub(candidate: Candidate, mask: Callable[[str], str]) -> None:
    """Every revision, drafts included: evidence, takeaways and amendment reasons."""
    revisions = ScorecardRevision.objects.filter(scorecard__interview__loop__candidate=candidate)
    privacy.scrub_rows(revisions, ("key_takeaways", "amendment_reason"), mask)
    ratings = DimensionRating.objects.filter(
        revision__scorecard__interview__loop__candidate=candidate
    )
    privacy.scrub_rows(ratings, ("evidence",), mask)


HOLDER = privacy.Holder(name="scorecards", related=_related, export=_export, scrub=_scrub)
