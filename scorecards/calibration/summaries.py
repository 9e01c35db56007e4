"""The ORM shell around the pure calibration and recommendation modules: it reads ratings
from the database, calls the maths, and stores what comes back."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from celery import current_app
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from hiring.delivery import outbox
from hiring.delivery.background import after_commit_once
from hiring.delivery.outbox import handles
from hiring.models import Dimension, Interview, Loop, RoleProfile
from scorecards.calibration import model as calibration
from scorecards.calibration import recommendation
from scorecards.models import (
    CalibrationRun,
    DimensionRating,
    InterviewerCalibration,
    InterviewerLeniency,
    LoopSummary,
    Scorecard,
    ScorecardRevision,
    SummaryRefresh,
    SummaryRefreshBatch,
)

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

FETCH_BATCH = 200_000

# Every current rating: (candidate, interviewer, dimension, value), a trainee seat's
# excepted (issue 17: a trainee's scorecards are kept but never calibrate anyone). A
# server-side cursor feeds numpy in batches, so a million rows never become a million
# Python objects at once.
HISTORY_SQL = """
    SELECT l.candidate_id, s.interviewer_id, r.dimension_id, r.rating
    FROM scorecards_dimensionrating r
    JOIN scorecards_scorecardrevision v ON v.id = r.revision_id
    JOIN scorecards_scorecard s ON s.id = v.scorecard_id
    JOIN hiring_interview i ON i.id = s.interview_id
    JOIN hiring_loop l ON l.id = i.loop_id
    WHERE v.is_current AND r.rating IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM hiring_interview_trainees t
        WHERE t.interview_id = i.id AND t.user_id = s.interviewer_id
      )
"""


def _history_batches() -> Iterator[np.ndarray]:
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(HISTORY_SQL)
        while rows := cursor.fetchmany(FETCH_BATCH):
            yield np.asarray(rows, dtype=np.int64)


@dataclass(frozen=True)
class Refit:
    """One fit of the leniency model over a set of ratings, with the ids its indices stand
    for (``interviewers[k]`` is the user of ``fit.leniency[k]``)."""

    fit: calibration.LeniencyFit
    interviewers: np.ndarray
    dimensions: np.ndarray


def refit_ratings(data: np.ndarray) -> Refit:
    """Fit the model to rows of (candidate, interviewer, dimension, rating) ids."""
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
    return Refit(fit, interviewers, dimensions)


def run_store(refit: Refit) -> CalibrationRun:
    """Store a fit as a run, with each interviewer's leniency in the history the insight
    pages draw trends from (issue 18). The current corrections are ``calibration_refit``'s."""
    fit, interviewers = refit.fit, refit.interviewers
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
        dimension_variance=fit.dimension_variance,
        rating_variance=fit.rating_variance,
        dimension_means={str(int(d)): float(fit.mu[k]) for k, d in enumerate(refit.dimensions)},
    )
    InterviewerLeniency.objects.bulk_create(
        [
            InterviewerLeniency(
                run=run,
                interviewer_id=int(user_id),
                leniency=float(fit.leniency[index]),
                leniency_se=float(fit.leniency_se[index]),
                ratings=int(fit.ratings_per_interviewer[index]),
            )
            for index, user_id in enumerate(interviewers)
        ],
        batch_size=5000,
    )
    return run


def calibration_refit() -> CalibrationRun:
    """Refit interviewer leniency jointly over all history (DESIGN §4) and store it."""
    started = time.perf_counter()
    batches = list(_history_batches())
    data = np.concatenate(batches) if batches else np.empty((0, 4), dtype=np.int64)
    refit = refit_ratings(data)
    fit = refit.fit
    with transaction.atomic():
        run = run_store(refit)
        InterviewerCalibration.objects.bulk_create(
            [
                InterviewerCalibration(
                    interviewer_id=int(user_id),
                    run=run,
                    leniency=float(fit.leniency[index]),
                    leniency_se=float(fit.leniency_se[index]),
                    ratings=int(fit.ratings_per_interviewer[index]),
                )
                for index, user_id in enumerate(refit.interviewers)
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
    serialise and the last one stores a summary consistent with the committed data. A
    summary whose inputs did not change is left as it was (no write, no event)."""
    with transaction.atomic():
        loop = _locked_loops(Loop.objects.filter(pk=loop_id)).get()
        [outcome] = _refresh_loops([loop])
    return outcome.summary


def loop_summaries_compute(loop_ids: Iterable[int], *, batch_size: int | None = None) -> int:
    """Compute and store these loops' summaries (what a read or the importer queued), a
    batch of loops per transaction: their inputs read together, one outbox nudge per batch
    rather than one per loop. Loops deleted meanwhile are skipped. Returns how many loops
    were found."""
    wanted = sorted(set(loop_ids))
    size = batch_size or REFRESH_BATCH_SIZE
    found = 0
    for start in range(0, len(wanted), size):
        with transaction.atomic():
            loops = list(_locked_loops(Loop.objects.filter(pk__in=wanted[start : start + size])))
            found += len(_refresh_loops(loops))
    return found


def loop_summary_is_stale(*, loop_id: int) -> bool:
    """True when the stored summary no longer matches its inputs or the model: missing, a
    rating or recommendation changed since, a refit moved a value it uses, or a newer model
    version. Reads only: the inputs are fingerprinted, not scored."""
    summary = LoopSummary.objects.filter(loop_id=loop_id).first()
    return summary is None or _is_stale(summary)


def _is_stale(summary: LoopSummary) -> bool:
    loop = Loop.objects.select_related("requisition__profile__level_below").get(pk=summary.loop_id)
    data = _LoopData.read_many([loop])[loop.pk]
    return not _is_current(summary, data)


def _is_current(summary: LoopSummary, data: _LoopData) -> bool:
    """The stored summary is what computing it now would store (bar ``computed_at``)."""
    return (
        summary.model_version == calibration.MODEL_VERSION
        and summary.fingerprint == data.fingerprint()
    )


def _locked_loops(loops: QuerySet[Loop]) -> QuerySet[Loop]:
    """Loops locked for computing their summaries, in pk order (so two lockers of several
    loops never wait for each other in a cycle), with what the rule reads of them."""
    return (
        loops.select_for_update(of=("self",))
        .select_related("requisition__profile__level_below")
        .order_by("pk")
    )


@dataclass(frozen=True)
class _Outcome:
    summary: LoopSummary
    changed: bool  # written (new, or its inputs changed); False: left untouched


def _refresh_loops(loops: list[Loop]) -> list[_Outcome]:
    """Bring these loops' summaries up to date, in the caller's transaction, with the loops
    locked by it. Inputs are read for all loops at once; only summaries whose inputs (or the
    model) changed are written, in bulk; a ``loop.recommendation_changed`` event is emitted
    for each loop whose recommendation or debrief flag changed, and the outbox is nudged
    once for the whole transaction."""
    stored = {s.loop_id: s for s in LoopSummary.objects.filter(loop__in=loops)}
    inputs = _LoopData.read_many(loops)
    outcomes: list[_Outcome] = []
    created: list[LoopSummary] = []
    updated: list[LoopSummary] = []
    written: set[str] = set()  # the fields _compute fills
    for loop in loops:
        data = inputs[loop.pk]
        summary = stored.get(loop.pk)
        if summary is not None and _is_current(summary, data):
            outcomes.append(_Outcome(summary, changed=False))
            continue
        before = (
            None
            if summary is None
            else {"recommendation": summary.recommendation, "needs_debrief": summary.needs_debrief}
        )
        fields = _compute(data)
        written.update(fields)
        if summary is None:
            summary = LoopSummary(loop=loop, **fields)
            created.append(summary)
        else:
            for name, value in fields.items():
                setattr(summary, name, value)
            updated.append(summary)
        outcomes.append(_Outcome(summary, changed=True))
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
    LoopSummary.objects.bulk_create(created)
    if updated:
        LoopSummary.objects.bulk_update(updated, sorted(written), batch_size=100)
    return outcomes


SUMMARISE_TASK = "scorecards.tasks.summarise_loops"


def loop_summaries_queue(loop_ids: Iterable[int]) -> None:
    """Ask a worker to (re)compute these loops' summaries once the current transaction
    commits: one message per transaction, however many loops or callers asked. Reads call
    this instead of computing, so a GET never writes. If the broker is down the next read
    asks again, and the nightly refresh covers open loops, so a failed send is only logged."""
    wanted = set(loop_ids)
    if not wanted:
        return

    def send(loops: set[int]) -> None:
        try:
            current_app.send_task(SUMMARISE_TASK, args=[sorted(loops)])
        except Exception as exc:  # broker unreachable: the next read asks again
            logger.warning("could not queue %d loop summaries: %s", len(loops), exc)

    after_commit_once(SUMMARISE_TASK, wanted, send)


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
    stale = summary is None or _is_stale(summary)
    if stale:
        loop_summaries_queue([loop_id])
    return StoredSummary(summary, stale)


def _compute(data: _LoopData) -> dict[str, Any]:
    """The summary's fields: score the loop's ratings, apply the rule."""
    scores = calibration.score_loop(
        data.loop_ratings(),
        leniency={_key(i): c.leniency for i, c in data.corrections.items()},
        weights={d.slug: float(d.weight) for d in data.dimensions},
        residual_variance=data.residual_variance,
        leniency_variance={_key(i): c.leniency_se**2 for i, c in data.corrections.items()},
        pair_variance=data.pair_variance,
        dimension_variance=data.dimension_variance,
        rating_variance=data.rating_variance,
        dimension_means=data.dimension_means,
    )
    verdict = recommendation.recommend(
        complete=data.expected > 0 and data.submitted >= data.expected,
        scorecards_in=data.submitted,
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
        "scorecards_in": data.submitted,
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


# Fitted values enter the fingerprint rounded to this many decimals: finer than any page
# shows (leniency and scores to two), coarse enough that a refit which moves nothing a
# reader could see leaves the summary, and its row, untouched.
FINGERPRINT_DECIMALS = 4


def _rounded(value: float) -> float:
    return round(value, FINGERPRINT_DECIMALS) + 0.0  # + 0.0: -0.0 and 0.0 digest alike


def _grouped(rows: Iterable[_T], key: Callable[[_T], int]) -> dict[int, list[_T]]:
    """Rows by a key, each group in the rows' order."""
    groups: dict[int, list[_T]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


@dataclass(frozen=True)
class _LoopData:
    """What one loop's summary is computed from: its interviews that owe feedback, their
    current scorecard revisions and ratings, and the interviewers' fitted corrections."""

    profile: RoleProfile
    dimensions: list[Dimension]
    expected: int  # scorecards owed: one per interviewer of each interview
    submitted: int  # scorecards in for those interviews
    revisions: list[ScorecardRevision]
    ratings: list[tuple[int, int, int]]  # (revision, dimension, rating), rated ones only
    corrections: dict[int, InterviewerCalibration]  # by interviewer id
    run: CalibrationRun | None

    @classmethod
    def read_many(cls, loops: list[Loop]) -> dict[int, _LoopData]:
        """Every loop's inputs, by loop id, in a fixed number of queries however many loops
        (the loops come with ``requisition__profile__level_below``)."""
        profile_ids = {loop.requisition.profile_id for loop in loops}
        dimensions = _grouped(
            Dimension.objects.filter(profile_id__in=profile_ids), lambda d: d.profile_id
        )
        interview_loop = dict(
            Interview.objects.filter(loop__in=loops)
            .exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
            .values_list("pk", "loop_id")
        )
        # A trainee seat's scorecard is written and kept, but neither feeds the
        # recommendation nor is waited for (issue 17).
        trainees = Interview.trainees.through.objects
        expected = Counter(
            interview_loop[interview_id]
            for interview_id in Interview.interviewers.through.objects.filter(
                interview_id__in=interview_loop
            )
            .exclude(
                Exists(
                    trainees.filter(
                        interview_id=OuterRef("interview_id"), user_id=OuterRef("user_id")
                    )
                )
            )
            .values_list("interview_id", flat=True)
        )
        submitted = Counter(
            interview_loop[interview_id]
            for interview_id in Scorecard.objects.filter(
                interview_id__in=interview_loop, status=Scorecard.Status.SUBMITTED
            )
            .exclude(
                Exists(
                    trainees.filter(
                        interview_id=OuterRef("interview_id"), user_id=OuterRef("interviewer_id")
                    )
                )
            )
            .values_list("interview_id", flat=True)
        )
        trainee_seat = trainees.filter(
            interview_id=OuterRef("scorecard__interview_id"),
            user_id=OuterRef("scorecard__interviewer_id"),
        )
        revisions = list(
            ScorecardRevision.objects.filter(
                scorecard__interview_id__in=interview_loop, is_current=True
            )
            .exclude(Exists(trainee_seat))
            .select_related("scorecard__interviewer")
            .prefetch_related("red_flags")
        )
        revision_loop = {r.pk: interview_loop[r.scorecard.interview_id] for r in revisions}
        ratings = _grouped(
            (
                (revision_id, dimension_id, value)
                for revision_id, dimension_id, value in DimensionRating.objects.filter(
                    revision__in=revisions, rating__isnull=False
                ).values_list("revision_id", "dimension_id", "rating")
                if value is not None
            ),
            lambda rating: revision_loop[rating[0]],
        )
        corrections = {
            c.interviewer_id: c
            for c in InterviewerCalibration.objects.filter(
                interviewer_id__in={r.scorecard.interviewer_id for r in revisions}
            )
        }
        by_loop = _grouped(revisions, lambda r: revision_loop[r.pk])
        run = current_run()
        result: dict[int, _LoopData] = {}
        for loop in loops:
            mine = by_loop.get(loop.pk, [])
            people = {r.scorecard.interviewer_id for r in mine}
            result[loop.pk] = cls(
                profile=loop.requisition.profile,
                dimensions=dimensions.get(loop.requisition.profile_id, []),
                expected=expected[loop.pk],
                submitted=submitted[loop.pk],
                revisions=mine,
                ratings=ratings.get(loop.pk, []),
                corrections={i: c for i, c in corrections.items() if i in people},
                run=run,
            )
        return result

    @property
    def residual_variance(self) -> float:
        """sigma² of the last refit; before any refit, the prior guess."""
        return self.run.residual_variance if self.run else calibration.DEFAULT_RESIDUAL_VARIANCE

    @property
    def pair_variance(self) -> float:
        return self.run.pair_variance if self.run else 0.0

    @property
    def dimension_variance(self) -> float:
        """tau_d² of the last refit; before one (or after one of an older model), the prior
        guess."""
        if self.run is None or self.run.dimension_variance is None:
            return calibration.DEFAULT_DIMENSION_VARIANCE
        return self.run.dimension_variance

    @property
    def rating_variance(self) -> float:
        if self.run is None or self.run.rating_variance is None:
            return self.residual_variance
        return self.run.rating_variance

    @property
    def dimension_means(self) -> dict[str, float]:
        """The fitted mean of each of the profile's dimensions, by slug (those the refit saw)."""
        means = self.run.dimension_means if self.run else {}
        return {d.slug: float(means[str(d.pk)]) for d in self.dimensions if str(d.pk) in means}

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
        """A digest of every value the summary is computed from: equal fingerprints, equal
        summaries (bar ``computed_at``). Fitted values enter rounded and the refit's id does
        not, so a refit that moves nothing this loop uses leaves its fingerprint alone."""
        inputs = {
            "ratings": sorted(self.ratings),
            "revisions": sorted(
                (r.pk, r.overall_recommendation, sorted(f.text for f in r.red_flags.all()))
                for r in self.revisions
            ),
            "interviewers": sorted(
                (i.pk, i.display_name, i.email)
                for i in (r.scorecard.interviewer for r in self.revisions)
            ),
            "expected": self.expected,
            "submitted": self.submitted,
            "dimensions": [
                (d.pk, d.slug, d.name, str(d.weight), d.must_have) for d in self.dimensions
            ],
            "thresholds": str(recommendation.Thresholds.from_profile(self.profile)),
            "corrections": sorted(
                (i, _rounded(c.leniency), _rounded(c.leniency_se), c.ratings)
                for i, c in self.corrections.items()
            ),
            "variances": [
                _rounded(self.residual_variance),
                _rounded(self.pair_variance),
                _rounded(self.dimension_variance),
                _rounded(self.rating_variance),
            ],
            "dimension_means": sorted(
                (slug, _rounded(mu)) for slug, mu in self.dimension_means.items()
            ),
        }
        return hashlib.sha256(json.dumps(inputs, default=str).encode()).hexdigest()


# --- The nightly refresh, in batches --------------------------------------------------------

REFRESH_BATCH_SIZE = 200
REFRESH_BATCH_TASK = "scorecards.tasks.refresh_summary_batch"


def refresh_open_summaries(
    *,
    batch_size: int = REFRESH_BATCH_SIZE,
    inline: bool = True,
    run: CalibrationRun | None = None,
) -> SummaryRefresh:
    """Bring every open loop's summary up to date (after a refit): plan the refresh as
    batches of ``batch_size`` open loops by pk range, then run them here, one after another
    (``inline``), or queue one task per batch once the plan is committed, for the workers to
    share. Summaries whose inputs did not change are left untouched. Returns the refresh's
    record: finished, with its counts, when inline."""
    refresh = refresh_plan(batch_size=batch_size, run=run or current_run())
    batch_ids = list(refresh.batches.order_by("number").values_list("pk", flat=True))
    if inline:
        for batch_id in batch_ids:
            refresh_batch(batch_id=batch_id)
        refresh.refresh_from_db()
    else:
        transaction.on_commit(lambda: _queue_batches(batch_ids))
    return refresh


def refresh_plan(*, batch_size: int, run: CalibrationRun | None) -> SummaryRefresh:
    """Record a refresh and its batches: the open loops, in pk order, cut every
    ``batch_size``. A batch is a pk range, so it stays small to store however many loops."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    loop_ids = list(
        Loop.objects.filter(status__in=Loop.OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chunks = [loop_ids[i : i + batch_size] for i in range(0, len(loop_ids), batch_size)]
    now = timezone.now()
    with transaction.atomic():
        refresh = SummaryRefresh.objects.create(
            run=run,
            started_at=now,
            finished_at=None if chunks else now,  # nothing open: done as soon as planned
            batch_size=batch_size,
            batches_total=len(chunks),
        )
        SummaryRefreshBatch.objects.bulk_create(
            SummaryRefreshBatch(
                refresh=refresh, number=number, first_loop_id=chunk[0], last_loop_id=chunk[-1]
            )
            for number, chunk in enumerate(chunks, start=1)
        )
    return refresh


def _queue_batches(batch_ids: list[int]) -> None:
    for batch_id in batch_ids:
        try:
            current_app.send_task(REFRESH_BATCH_TASK, kwargs={"batch_id": batch_id})
        except Exception as exc:  # broker unreachable: the refresh shows batches not done
            logger.warning("could not queue summary refresh batch %s: %s", batch_id, exc)


def refresh_batch(*, batch_id: int) -> SummaryRefreshBatch | None:
    """Run one batch of a refresh, in one transaction: claim it, lock and refresh its open
    loops, record its counts and add them to the refresh. A batch already done (or being
    done: the claim waits for it) returns None and changes nothing, so a batch delivered
    twice is computed and counted once; a worker killed mid-batch rolls it all back for the
    redelivery. The last batch to finish stamps the refresh's ``finished_at``."""
    started = time.perf_counter()
    with transaction.atomic():
        now = timezone.now()
        # The conditional UPDATE is the claim: its row lock is held to the commit, and a
        # second run of this batch waits on it, then finds it done.
        if not SummaryRefreshBatch.objects.filter(pk=batch_id, done_at__isnull=True).update(
            done_at=now
        ):
            return None
        batch = SummaryRefreshBatch.objects.get(pk=batch_id)
        loops = list(
            _locked_loops(
                Loop.objects.filter(
                    pk__gte=batch.first_loop_id,
                    pk__lte=batch.last_loop_id,
                    status__in=Loop.OPEN_STATUSES,  # decided or withdrawn since: untouched
                )
            )
        )
        outcomes = _refresh_loops(loops)
        batch.loops_seen = len(outcomes)
        batch.changed = sum(1 for outcome in outcomes if outcome.changed)
        batch.unchanged = batch.loops_seen - batch.changed
        batch.done_at = timezone.now()
        batch.seconds = time.perf_counter() - started
        batch.save(update_fields=["loops_seen", "changed", "unchanged", "done_at", "seconds"])
        # Last, so the refresh's row is locked only for the commit: batches finishing at
        # once add up one after another.
        SummaryRefresh.objects.filter(pk=batch.refresh_id).update(
            batches_done=F("batches_done") + 1,
            loops_seen=F("loops_seen") + batch.loops_seen,
            changed=F("changed") + batch.changed,
            unchanged=F("unchanged") + batch.unchanged,
        )
        finished = SummaryRefresh.objects.filter(
            pk=batch.refresh_id, finished_at__isnull=True, batches_done=F("batches_total")
        ).update(finished_at=batch.done_at)
    if finished:
        refresh = SummaryRefresh.objects.get(pk=batch.refresh_id)
        logger.info(
            "summary refresh %s: %s loops, %s changed, %s unchanged in %.1f s",
            refresh.pk,
            refresh.loops_seen,
            refresh.changed,
            refresh.unchanged,
            refresh.seconds or 0.0,
        )
    return batch


@handles("scorecard.submitted")
def recompute_summary(payload: dict[str, Any]) -> None:
    loop_summary_compute(loop_id=payload["loop_id"])
