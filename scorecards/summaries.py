"""The ORM shell around the pure calibration and recommendation modules: it reads ratings
from the database, calls the maths, and stores what comes back."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from hiring import outbox
from hiring.models import Interview, Loop
from hiring.outbox import handles

from . import calibration, recommendation
from .models import (
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


def _compute(loop: Loop) -> dict[str, Any]:
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
    by_revision = {revision.pk: revision for revision in revisions}
    slug = {dimension.pk: dimension.slug for dimension in dimensions}
    interviewer_ids = {revision.scorecard.interviewer_id for revision in revisions}
    corrections = {
        c.interviewer_id: c for c in InterviewerCalibration.objects.filter(
            interviewer_id__in=interviewer_ids
        )
    }  # fmt: skip
    run = current_run()
    residual = run.residual_variance if run else calibration.DEFAULT_RESIDUAL_VARIANCE
    pair = run.pair_variance if run else 0.0

    def key(user_id: int) -> str:
        return str(user_id)

    loop_ratings = [
        calibration.LoopRating(
            interviewer=key(by_revision[revision_id].scorecard.interviewer_id),
            dimension=slug[dimension_id],
            value=float(value),
        )
        for revision_id, dimension_id, value in ratings
        if dimension_id in slug
    ]
    scores = calibration.score_loop(
        loop_ratings,
        leniency={key(i): c.leniency for i, c in corrections.items()},
        weights={d.slug: float(d.weight) for d in dimensions},
        residual_variance=residual,
        leniency_variance={key(i): c.leniency_se**2 for i, c in corrections.items()},
        pair_variance=pair,
    )
    # Imported history may lack an overall recommendation: its ratings still count.
    scorecard_inputs = [
        recommendation.ScorecardInput(
            interviewer=key(revision.scorecard.interviewer_id),
            interviewer_name=revision.scorecard.interviewer.display_name,
            recommendation=revision.overall_recommendation,
            red_flags=len(revision.red_flags.all()),
            ratings={slug[d]: float(v) for r, d, v in ratings if r == revision.pk and d in slug},
        )
        for revision in revisions
        if revision.overall_recommendation
    ]
    submitted = Scorecard.objects.filter(
        interview__in=interviews, status=Scorecard.Status.SUBMITTED
    ).count()
    verdict = recommendation.recommend(
        complete=expected > 0 and submitted >= expected,
        scorecards_in=submitted,
        scorecards_expected=expected,
        scores=scores,
        scorecards=scorecard_inputs,
        must_have={d.slug for d in dimensions if d.must_have},
        dimension_names={d.slug: d.name for d in dimensions},
        thresholds=recommendation.Thresholds.from_profile(profile),
    )
    people = {
        key(revision.scorecard.interviewer_id): {
            "name": revision.scorecard.interviewer.display_name,
            "email": revision.scorecard.interviewer.email,
            "recommendation": revision.overall_recommendation,
            "red_flags": [flag.text for flag in revision.red_flags.all()],
            "leniency": corrections[revision.scorecard.interviewer_id].leniency
            if revision.scorecard.interviewer_id in corrections
            else 0.0,
            "ratings_behind_correction": corrections[revision.scorecard.interviewer_id].ratings
            if revision.scorecard.interviewer_id in corrections
            else 0,
        }
        for revision in revisions
    }
    inputs = {
        "ratings": sorted(ratings),
        "revisions": sorted(by_revision),
        "recommendations": sorted((r.pk, r.overall_recommendation) for r in revisions),
        "red_flags": sorted((r.pk, len(r.red_flags.all())) for r in revisions),
        "expected": expected,
        "run": run.pk if run else None,
        "thresholds": str(recommendation.Thresholds.from_profile(profile)),
    }
    fingerprint = hashlib.sha256(json.dumps(inputs, default=str).encode()).hexdigest()
    overall = scores.overall
    return {
        "computed_at": timezone.now(),
        "model_version": calibration.MODEL_VERSION,
        "fingerprint": fingerprint,
        "recommendation": verdict.recommendation,
        "needs_debrief": verdict.needs_debrief,
        "level_suggestion": verdict.level_suggestion or "",
        "scorecards_in": submitted,
        "scorecards_expected": expected,
        "raw_score": overall.raw,
        "calibrated_score": overall.calibrated,
        "calibrated_low": overall.low,
        "calibrated_high": overall.high,
        "data": {
            "scores": scores.to_dict(),
            "verdict": verdict.to_dict(),
            "interviewers": people,
            "calibration_run": run.pk if run else None,
        },
    }


def refresh_open_summaries() -> int:
    """Recompute every open loop's summary (after a refit). Returns how many."""
    loop_ids = list(Loop.objects.filter(status__in=Loop.OPEN_STATUSES).values_list("pk", flat=True))
    for loop_id in loop_ids:
        loop_summary_compute(loop_id=loop_id)
    return len(loop_ids)


@handles("scorecard.submitted")
def recompute_summary(payload: dict[str, Any]) -> None:
    loop_summary_compute(loop_id=payload["loop_id"])
