"""The ORM shell around the pure calibration and recommendation modules: it reads ratings
from the database, calls the maths, and stores what comes back."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from celery import current_app
from django.db import connection, transaction
from django.utils import timezone

from hiring.delivery import outbox
from hiring.delivery.outbox import handles
from hiring.models import Dimension, Interview, Loop, RoleProfile
from scorecards.calibration import model as calibration
from scorecards.calibration import recommendation
from scorecards.models import (
    CalibrationRun,
    DimensionRating,
    InterviewerCalibration,
    LoopSummary,
    Scorecard,
    ScorecardRevision,
)

logger = logging.getLogger(__name__)

FETCH_BATCH = 200_000

# Every current rating: (candidate, interviewer, dimension, value). A server-side cursor
# feeds numpy in batches, so a million rows never become a million Python objects at once.
HISTORY_SQL = """
    SELECT l.candidate_id, s.interviewer_id, r.dimension_id, r.rating
    FROM scorecards_dimensionrating r
    JOIN scorecards_scorecardrevision v ON v.id = r.revision_id
    JOIN scorecards_scorecard s ON s.id = v.scorecard_id
    JOIN hiring_interview i ON i.id = s.interview_id
    JOIN hiring_loop l ON l.id = i.loop_id
    WHERE v.is_current AND r.rating IS NOT NULL
"""


def _history_batches() -> Iterator[np.ndarray]:
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(HISTORY_SQL)
        while rows := cursor.fetchmany(FETCH_BATCH):
            yield np.asarray(rows, dtype=np.int64)


def calibration_refit() -> CalibrationRun:
    """Refit interviewer leniency jointly over all history (DESIGN §4) and store it."""
    started = time.perf_counter()
    batches = list(_history_batches())
    data = np.concatenate(batches) if batches else np.empty((0, 4), dtype=np.int64)
    candidates, candidate_idx = np.unique(data[:, 0], return_inverse=True)
    interviewers, interviewer_idx = np.unique(data[:, 1], return_inverse=True)
    dimensions, dimension_idx = np.unique(data[:, 2], return_inverse=True)
    fit = calibration.fit_leniency(
        candidate_idx,
        interviewer_idx,
        dimension_idx,
        data[:, 3].astype(np.float64),
        len(candidates),
        len(interviewers),
        len(dimensions),
    )
    with transaction.atomic():
        run = CalibrationRun.objects.create(
            model_version=fit.model_version,
            n_ratings=fit.n_ratings,
            n_interviewers=len(interviewers),
            residual_variance=fit.residual_variance,
            pair_variance=fit.pair_variance,
            prior_variance=fit.prior_variance,
            shrinkage=fit.shrinkage,
            estimated=fit.estimated,
            converged=fit.converged,
            seconds=0.0,
        )
        InterviewerCalibration.objects.bulk_create(
            [
                InterviewerCalibration(
                    interviewer_id=int(user_id),
                    run=run,
                    leniency=float(fit.leniency[index]),
                    leniency_se=float(fit.leniency_se[index]),
                    ratings=int(fit.ratings_per_interviewer[index]),
                )
                for index, user_id in enumerate(interviewers)
            ],
            batch_size=5000,
            update_conflicts=True,
            unique_fields=["interviewer"],
            update_fields=["run", "leniency", "leniency_se", "ratings"],
        )
        # Interviewers with no rating left (all amended away) lose their correction.
        InterviewerCalibration.objects.exclude(run=run).delete()
        run.seconds = time.perf_counter() - started
        run.save(update_fields=["seconds"])
    logger.info("calibration: refit %s ratings in %.2fs", run.n_ratings, run.seconds)
    return run


def current_run() -> CalibrationRun | None:
    return CalibrationRun.objects.order_by("-fitted_at", "-id").first()


def loop_summary_compute(*, loop_id: int) -> LoopSummary:
    """Compute and store the loop's summary. The loop row is locked, so concurrent runs
    serialise and the last one stores a summary consistent with the committed data."""
    with transaction.atomic():
        loop = (
            Loop.objects.select_for_update(of=("self",))
            .select_related("requisition__profile__level_below")
            .get(pk=loop_id)
        )
        before = (
            LoopSummary.objects.filter(loop=loop).values("recommendation", "needs_debrief").first()
        )
        summary_fields = _compute(loop)
        summary, _ = LoopSummary.objects.update_or_create(loop=loop, defaults=summary_fields)
        after = {"recommendation": summary.recommendation, "needs_debrief": summary.needs_debrief}
        if before != after:
            # Under the loop's lock: one event per change, however many recomputes race.
            outbox.emit(
                "loop.recommendation_changed",
                {
                    "loop_id": loop.pk,
                    "requisition_id": loop.requisition_id,
                    "recommendation": summary.recommendation,
                    "needs_debrief": summary.needs_debrief,
                    "previous": before,
                },
            )
    return summary


def loop_summary_is_stale(*, loop_id: int) -> bool:
    """True when the stored summary no longer matches its inputs or the model: missing, a
    rating or recommendation changed since, a refit happened, or a newer model version."""
    summary = LoopSummary.objects.filter(loop_id=loop_id).first()
    if summary is None:
        return True
    loop = Loop.objects.select_related("requisition__profile__level_below").get(pk=loop_id)
    fresh = _compute(loop)
    return (
        summary.fingerprint != fresh["fingerprint"]
        or summary.model_version != fresh["model_version"]
    )


SUMMARISE_TASK = "scorecards.tasks.summarise_loops"


def loop_summaries_queue(loop_ids: Iterable[int]) -> None:
    """Ask a worker to (re)compute these loops' summaries once the current transaction
    commits: one message per transaction, however many loops or callers asked. Reads call
    this instead of computing, so a GET never writes. If the broker is down the next read
    asks again, and the nightly refresh covers open loops, so a failed send is only logged."""
    wanted = sorted(set(loop_ids))
    if not wanted:
        return
    connection_ = transaction.get_connection()
    for _, callback, _ in connection_.run_on_commit:
        pending = getattr(callback, "summary_loop_ids", None)
        if pending is not None:  # one message already waits for this commit: join it
            pending.update(wanted)
            return
    loops: set[int] = set(wanted)

    def send() -> None:
        try:
            current_app.send_task(SUMMARISE_TASK, args=[sorted(loops)])
        except Exception as exc:  # broker unreachable: the next read asks again
            logger.warning("could not queue %d loop summaries: %s", len(loops), exc)

    send.summary_loop_ids = loops  # type: ignore[attr-defined]
    transaction.on_commit(send)


@dataclass(frozen=True)
class StoredSummary:
    """What a read shows of a loop's summary: the stored row (``None`` while the first one is
    being computed) and whether it is out of date. Either way a recompute has been queued."""

    summary: LoopSummary | None
    stale: bool


def loop_summary_read(*, loop_id: int) -> StoredSummary:
    """The stored summary with its freshness, for pages and the API. A missing or stale one
    is queued for a worker to recompute after the request, never computed here: a read
    does not write."""
    summary = LoopSummary.objects.filter(loop_id=loop_id).first()
    stale = summary is None or loop_summary_is_stale(loop_id=loop_id)
    if stale:
        loop_summaries_queue([loop_id])
    return StoredSummary(summary, stale)


def _compute(loop: Loop) -> dict[str, Any]:
    """The summary's fields: read the loop's scorecards, score them, apply the rule."""
    data = _LoopData.read(loop)
    scores = calibration.score_loop(
        data.loop_ratings(),
        leniency={_key(i): c.leniency for i, c in data.corrections.items()},
        weights={d.slug: float(d.weight) for d in data.dimensions},
        residual_variance=data.residual_variance,
        leniency_variance={_key(i): c.leniency_se**2 for i, c in data.corrections.items()},
        pair_variance=data.run.pair_variance if data.run else 0.0,
    )
    submitted = Scorecard.objects.filter(
        interview__in=data.interviews, status=Scorecard.Status.SUBMITTED
    ).count()
    verdict = recommendation.recommend(
        complete=data.expected > 0 and submitted >= data.expected,
        scorecards_in=submitted,
        scorecards_expected=data.expected,
        scores=scores,
        scorecards=data.scorecard_inputs(),
        must_have={d.slug for d in data.dimensions if d.must_have},
        dimension_names={d.slug: d.name for d in data.dimensions},
        thresholds=recommendation.Thresholds.from_profile(data.profile),
    )
    overall = scores.overall
    return {
        "computed_at": timezone.now(),
        "model_version": calibration.MODEL_VERSION,
        "fingerprint": data.fingerprint(),
        "recommendation": verdict.recommendation,
        "needs_debrief": verdict.needs_debrief,
        "level_suggestion": verdict.level_suggestion or "",
        "scorecards_in": submitted,
        "scorecards_expected": data.expected,
        "raw_score": overall.raw,
        "calibrated_score": overall.calibrated,
        "calibrated_low": overall.low,
        "calibrated_high": overall.high,
        "data": {
            "scores": scores.to_dict(),
            "verdict": verdict.to_dict(),
            "interviewers": data.people(),
            "calibration_run": data.run.pk if data.run else None,
        },
    }


def _key(user_id: int) -> str:
    """An interviewer as the pure modules know them."""
    return str(user_id)


@dataclass(frozen=True)
class _LoopData:
    """What one loop's summary is computed from: its interviews that owe feedback, their
    current scorecard revisions and ratings, and the interviewers' fitted corrections."""

    profile: RoleProfile
    dimensions: list[Dimension]
    interviews: list[Interview]
    expected: int  # scorecards owed: one per interviewer of each interview
    revisions: list[ScorecardRevision]
    ratings: list[tuple[int, int, int]]  # (revision, dimension, rating), rated ones only
    corrections: dict[int, InterviewerCalibration]  # by interviewer id
    run: CalibrationRun | None

    @classmethod
    def read(cls, loop: Loop) -> _LoopData:
        profile = loop.requisition.profile
        dimensions = list(profile.dimensions.all())
        interviews = list(loop.interviews.exclude(status__in=Interview.NO_FEEDBACK_STATUSES))
        expected = Interview.interviewers.through.objects.filter(interview__in=interviews).count()
        revisions = list(
            ScorecardRevision.objects.filter(scorecard__interview__in=interviews, is_current=True)
            .select_related("scorecard__interviewer")
            .prefetch_related("red_flags")
        )
        ratings: list[tuple[int, int, int]] = [
            (revision_id, dimension_id, value)
            for revision_id, dimension_id, value in DimensionRating.objects.filter(
                revision__in=revisions, rating__isnull=False
            ).values_list("revision_id", "dimension_id", "rating")
            if value is not None
        ]
        interviewer_ids = {revision.scorecard.interviewer_id for revision in revisions}
        corrections = {
            c.interviewer_id: c for c in InterviewerCalibration.objects.filter(
                interviewer_id__in=interviewer_ids
            )
        }  # fmt: skip
        return cls(
            profile, dimensions, interviews, expected, revisions, ratings, corrections,
            current_run(),
        )  # fmt: skip

    @property
    def residual_variance(self) -> float:
        """sigma² of the last refit; before any refit, the prior guess."""
        return self.run.residual_variance if self.run else calibration.DEFAULT_RESIDUAL_VARIANCE

    @property
    def slugs(self) -> dict[int, str]:
        return {dimension.pk: dimension.slug for dimension in self.dimensions}

    def loop_ratings(self) -> list[calibration.LoopRating]:
        """The ratings of the profile's dimensions, for scoring."""
        slug = self.slugs
        by_revision = {revision.pk: revision for revision in self.revisions}
        return [
            calibration.LoopRating(
                interviewer=_key(by_revision[revision_id].scorecard.interviewer_id),
                dimension=slug[dimension_id],
                value=float(value),
            )
            for revision_id, dimension_id, value in self.ratings
            if dimension_id in slug
        ]

    def scorecard_inputs(self) -> list[recommendation.ScorecardInput]:
        """The scorecards the rule weighs. Imported history may lack an overall
        recommendation: its ratings still count toward the scores, not here."""
        slug = self.slugs
        return [
            recommendation.ScorecardInput(
                interviewer=_key(revision.scorecard.interviewer_id),
                interviewer_name=revision.scorecard.interviewer.display_name,
                recommendation=revision.overall_recommendation,
                red_flags=len(revision.red_flags.all()),
                ratings={
                    slug[d]: float(v) for r, d, v in self.ratings if r == revision.pk and d in slug
                },
            )
            for revision in self.revisions
            if revision.overall_recommendation
        ]

    def people(self) -> dict[str, dict[str, Any]]:
        """Each interviewer as the summary page shows them, with the correction applied."""
        people: dict[str, dict[str, Any]] = {}
        for revision in self.revisions:
            interviewer = revision.scorecard.interviewer
            correction = self.corrections.get(revision.scorecard.interviewer_id)
            people[_key(revision.scorecard.interviewer_id)] = {
                "name": interviewer.display_name,
                "email": interviewer.email,
                "recommendation": revision.overall_recommendation,
                "red_flags": [flag.text for flag in revision.red_flags.all()],
                "leniency": correction.leniency if correction is not None else 0.0,
                "ratings_behind_correction": correction.ratings if correction is not None else 0,
            }
        return people

    def fingerprint(self) -> str:
        """A digest of every input: equal fingerprints, equal summaries (for staleness)."""
        inputs = {
            "ratings": sorted(self.ratings),
            "revisions": sorted(revision.pk for revision in self.revisions),
            "recommendations": sorted((r.pk, r.overall_recommendation) for r in self.revisions),
            "red_flags": sorted((r.pk, len(r.red_flags.all())) for r in self.revisions),
            "expected": self.expected,
            "run": self.run.pk if self.run else None,
            "thresholds": str(recommendation.Thresholds.from_profile(self.profile)),
        }
        return hashlib.sha256(json.dumps(inputs, default=str).encode()).hexdigest()


def refresh_open_summaries() -> int:
    """Recompute every open loop's summary (after a refit). Returns how many."""
    loop_ids = list(Loop.objects.filter(status__in=Loop.OPEN_STATUSES).values_list("pk", flat=True))
    for loop_id in loop_ids:
        loop_summary_compute(loop_id=loop_id)
    return len(loop_ids)


@handles("scorecard.submitted")
def recompute_summary(payload: dict[str, Any]) -> None:
    loop_summary_compute(loop_id=payload["loop_id"])
