"""The recommendation rule of DESIGN §4, as a pure function. No Django.

:func:`recommend` turns a loop's :class:`~scorecards.calibration.LoopScores` and its submitted
scorecards into a :class:`Verdict`: one of ``incomplete``, ``no_hire``, ``hire``,
``strong_hire``; a separate ``needs_debrief`` flag; the reasons for both (stable codes,
plain-English messages, data); and possibly a level suggestion.

Decisions the design leaves open, made here:

* **Just below the bar** (``bar - no_hire_margin <= overall < bar``): not a hire (hire needs the
  overall at or above the bar) but not "clearly below" either, so the verdict is ``no_hire``
  with code ``overall_below_bar`` *and* the loop needs a debrief (the same reason is listed in
  ``debrief_reasons``): the call is close and the panel should make it.
* **Incomplete** loops are still evaluated on what is in: ``recommendation`` is
  ``incomplete`` (first reason ``partial``), ``provisional`` holds what the rule says on the
  scorecards so far, and every other reason and the debrief flag are computed as usual.
* **Nothing rated** (no dimension has a rating): the scores cannot support a verdict, so it is
  ``incomplete`` with reason ``no_ratings`` (and a debrief), unless red flags alone already make
  it ``no_hire``.
* **A must-have dimension nobody rated** (``must_have_not_assessed``) blocks strong hire and,
  once the loop is complete, calls for a debrief; it is not itself a reason to reject.
* **Red flags** count interviewers, not flags: ``red_flag_no_hire_count`` or more interviewers
  raising any red flag is ``no_hire`` (code ``red_flags_multiple``); exactly one interviewer
  raising red flags is ``red_flag_single``, a debrief reason (and it blocks strong hire).
* Comparisons use the calibrated point estimates; the uncertainty enters through
  ``bar_within_interval`` (bar inside the overall interval, bounds included). A dimension's
  estimate is its precision-aware (shrunk) score when the loop was scored with a dimension
  spread (:attr:`DimensionScore.estimate`), so a must-have rated once is judged on that
  rating pulled toward the rest of the loop, and its reason says so.

The rule reads as two tables: :data:`OVERALL_BANDS` (where the overall score sits against the
bar, with its reason's words) and :data:`VERDICT_RULES` (first rule that holds decides the
verdict); :func:`recommend` gathers the facts they test and the reasons in a fixed order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from scorecards.calibration.model import DimensionScore, LoopScores

INCOMPLETE = "incomplete"
NO_HIRE = "no_hire"
HIRE = "hire"
STRONG_HIRE = "strong_hire"
RECOMMENDATIONS = (INCOMPLETE, NO_HIRE, HIRE, STRONG_HIRE)
# What people read for each code: pages, e-mails and the API's ``recommendation_display``.
LABELS = {INCOMPLETE: "Incomplete", NO_HIRE: "No hire", HIRE: "Hire", STRONG_HIRE: "Strong hire"}

OVERALL_RECOMMENDATIONS = ("strong_no", "no", "yes", "strong_yes")
NEGATIVE = frozenset({"strong_no", "no"})
POSITIVE = frozenset({"yes", "strong_yes"})

PARTIAL = "partial"
NO_RATINGS = "no_ratings"
MUST_HAVE_BELOW_BAR = "must_have_below_bar"
MUST_HAVE_NOT_ASSESSED = "must_have_not_assessed"
RED_FLAGS_MULTIPLE = "red_flags_multiple"
RED_FLAG_SINGLE = "red_flag_single"
OVERALL_CLEARLY_BELOW_BAR = "overall_clearly_below_bar"
OVERALL_BELOW_BAR = "overall_below_bar"
OVERALL_MEETS_BAR = "overall_meets_bar"
OVERALL_WELL_ABOVE_BAR = "overall_well_above_bar"
STRONG_NO_PRESENT = "strong_no_present"
SPLIT_RECOMMENDATIONS = "split_recommendations"
DIMENSION_SPREAD = "dimension_spread"
BAR_WITHIN_INTERVAL = "bar_within_interval"
LEVEL_BELOW_SUGGESTED = "level_below_suggested"

#: Every reason code :func:`recommend` can emit. Stable: stored summaries and API clients use them.
REASON_CODES = (
    PARTIAL,
    NO_RATINGS,
    MUST_HAVE_BELOW_BAR,
    MUST_HAVE_NOT_ASSESSED,
    RED_FLAGS_MULTIPLE,
    RED_FLAG_SINGLE,
    OVERALL_CLEARLY_BELOW_BAR,
    OVERALL_BELOW_BAR,
    OVERALL_MEETS_BAR,
    OVERALL_WELL_ABOVE_BAR,
    STRONG_NO_PRESENT,
    SPLIT_RECOMMENDATIONS,
    DIMENSION_SPREAD,
    BAR_WITHIN_INTERVAL,
    LEVEL_BELOW_SUGGESTED,
)


@dataclass(frozen=True)
class Thresholds:
    """The rule's thresholds; mirrors the fields of ``hiring.models.RoleProfile``."""

    bar: float = 3.0
    strong_hire_margin: float = 0.5
    no_hire_margin: float = 0.25
    red_flag_no_hire_count: int = 2
    disagreement_points: int = 2
    scale_max: int = 4
    level_below_bar: float | None = None
    level_below_name: str | None = None

    def __post_init__(self) -> None:
        if self.scale_max < 2:
            raise ValueError("scale_max must be at least 2")
        if not 1 <= self.bar <= self.scale_max:
            raise ValueError(f"bar must lie on the scale 1-{self.scale_max}")
        if self.strong_hire_margin < 0 or self.no_hire_margin < 0:
            raise ValueError("margins must not be negative")
        if self.red_flag_no_hire_count < 1 or self.disagreement_points < 1:
            raise ValueError("counts must be at least 1")

    @classmethod
    def from_profile(cls, profile: Any) -> Thresholds:
        """Read the thresholds off a role profile (any object with the same attribute names;
        Decimals are converted; ``level_below_name`` comes from ``profile.level_below.name``)."""
        level_below = getattr(profile, "level_below", None)
        level_bar = getattr(profile, "level_below_bar", None)
        return cls(
            bar=float(profile.bar),
            strong_hire_margin=float(profile.strong_hire_margin),
            no_hire_margin=float(profile.no_hire_margin),
            red_flag_no_hire_count=int(profile.red_flag_no_hire_count),
            disagreement_points=int(profile.disagreement_points),
            scale_max=int(profile.rating_scale),
            level_below_bar=None if level_bar is None else float(level_bar),
            level_below_name=None if level_below is None else str(level_below.name),
        )


@dataclass(frozen=True)
class ScorecardInput:
    """One submitted scorecard, as far as the rule is concerned."""

    interviewer: str  # stable key
    interviewer_name: str  # for messages
    recommendation: str  # one of OVERALL_RECOMMENDATIONS
    red_flags: int = 0  # number of red flags ticked
    ratings: Mapping[str, float] = field(default_factory=dict)  # dimension key -> rating

    def __post_init__(self) -> None:
        if self.recommendation not in OVERALL_RECOMMENDATIONS:
            raise ValueError(f"unknown overall recommendation {self.recommendation!r}")
        if self.red_flags < 0:
            raise ValueError("red_flags must not be negative")


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": dict(self.data)}


@dataclass(frozen=True)
class Verdict:
    recommendation: str  # one of RECOMMENDATIONS
    needs_debrief: bool
    reasons: list[Reason]
    debrief_reasons: list[Reason]
    level_suggestion: str | None = None
    #: What the rule says on the scorecards so far (equals ``recommendation`` when complete;
    #: ``None`` when incomplete and nothing can be said yet).
    provisional: str | None = None
    partial: bool = False

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    @property
    def debrief_codes(self) -> list[str]:
        return [r.code for r in self.debrief_reasons]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["reasons"] = [r.to_dict() for r in self.reasons]
        out["debrief_reasons"] = [r.to_dict() for r in self.debrief_reasons]
        return out


def _f(value: float) -> str:
    return f"{value:.2f}"


def _r(value: float) -> float:
    return round(float(value), 2)


def _names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _rating(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else _f(value)


def _plural(count: int) -> str:
    return "s" if count != 1 else ""


# --- Red flags and must-haves: facts the rules below test ---------------------------------------


@dataclass(frozen=True)
class _RedFlags:
    """Red flags counted per interviewer, not per flag, in the order the scorecards came."""

    names: dict[str, str]  # interviewer key -> name, of everyone who raised any
    counts: dict[str, int]  # interviewer key -> flags raised
    threshold: int  # red_flag_no_hire_count
    data: dict[str, Any]  # shared by every red-flag reason

    @classmethod
    def of(cls, scorecards: Sequence[ScorecardInput], threshold: int) -> _RedFlags:
        names: dict[str, str] = {}
        counts: dict[str, int] = {}
        for card in scorecards:
            if card.red_flags > 0:
                names.setdefault(card.interviewer, card.interviewer_name)
                counts[card.interviewer] = counts.get(card.interviewer, 0) + card.red_flags
        data = {
            "interviewers": list(names),
            "names": list(names.values()),
            "red_flags": [counts[k] for k in names],
            "threshold": threshold,
        }
        return cls(names, counts, threshold, data)

    @property
    def no_hire(self) -> bool:
        return len(self.names) >= self.threshold

    def no_hire_reasons(self) -> list[Reason]:
        if not self.no_hire:
            return []
        count = len(self.names)
        return [
            Reason(
                RED_FLAGS_MULTIPLE,
                f"{count} interviewer{_plural(count)} raised red flags "
                f"({_names(list(self.names.values()))}); {self.threshold} or more means no hire.",
                self.data,
            )
        ]

    def debrief_reasons(self) -> list[Reason]:
        if len(self.names) != 1:
            return []
        [(key, who)] = self.names.items()
        return [
            Reason(
                RED_FLAG_SINGLE,
                f"A single interviewer raised red flags: {who} ({self.counts[key]}).",
                self.data,
            )
        ]


@dataclass(frozen=True)
class _MustHaves:
    """The must-have dimensions against the bar, in display-name order."""

    below: list[Reason]  # one MUST_HAVE_BELOW_BAR per must-have under the bar
    missing: list[str]  # keys of the must-haves nobody rated
    missing_reason: Reason

    @classmethod
    def of(
        cls,
        must_have: Collection[str],
        scores: LoopScores,
        bar: float,
        name: Callable[[str], str],
        scale_max: int,
    ) -> _MustHaves:
        below: list[Reason] = []
        missing: list[str] = []
        for dim in sorted(must_have, key=lambda k: (name(k), k)):
            score = scores.dimensions.get(dim)
            if score is None:
                missing.append(dim)
            elif score.estimate < bar:
                below.append(_must_have_below(dim, name(dim), score, bar, scale_max))
        missing_reason = Reason(
            MUST_HAVE_NOT_ASSESSED,
            f"Must-have dimension{_plural(len(missing))} not rated by anyone: "
            f"{_names([name(d) for d in missing])}.",
            {"dimensions": missing, "names": [name(d) for d in missing]},
        )
        return cls(below, missing, missing_reason)


def _must_have_below(
    dim: str, name: str, score: DimensionScore, bar: float, scale_max: int
) -> Reason:
    # Below is below (the rule does not bend), but a score whose interval still reaches the
    # bar says how close it is: a single "meets bar" nudged under it by calibration.
    low, high = score.estimate_low, score.estimate_high
    close = high >= bar
    where = "just below the bar, within its uncertainty" if close else "below the bar"
    return Reason(
        MUST_HAVE_BELOW_BAR,
        f"Must-have dimension {name} is {where}: calibrated "
        f"{_f(score.estimate)} < {_f(bar)} (interval {_f(max(low, 1.0))} to "
        f"{_f(min(high, float(scale_max)))}; "
        f"raw {_f(score.raw_mean)}, {score.n_ratings} rating{_plural(score.n_ratings)})."
        f"{_pulled_words(score)}",
        {
            "within_uncertainty": close,
            "dimension": dim,
            "name": name,
            "calibrated": _r(score.estimate),
            "raw": _r(score.raw_mean),
            "low": _r(low),
            "high": _r(high),
            "n_ratings": score.n_ratings,
            "bar": _r(bar),
            "mean_calibrated": _r(score.calibrated),
            "pull": _r(score.pull),
        },
    )


#: A dimension pulled this share of the way or more toward the candidate's level is said to be
#: estimated mostly from the rest of the loop.
STRONG_PULL = 0.5


def _pulled_words(score: DimensionScore) -> str:
    """Words for a dimension whose score leans on the rest of the loop, else nothing."""
    if score.pull < STRONG_PULL or score.prior_mean is None:
        return ""
    who = f"{score.n_ratings} rating{_plural(score.n_ratings)}"
    return (
        f" Few rated it ({who}), so its score leans on the rest of the loop: the mean of the "
        f"calibrated ratings, {_f(score.calibrated)}, is pulled {round(score.pull * 100)} % "
        f"of the way toward the candidate's level on it, {_f(score.prior_mean)}."
    )


# --- The overall score against the bar: a table of bands ----------------------------------------


@dataclass(frozen=True)
class _Band:
    """Where the overall calibrated score sits against the bar. ``words`` is formatted with
    ``summary``, ``bar``, ``no_hire_margin`` and ``strong_hire_margin``; ``margin`` names the
    threshold copied into the reason's data; a ``debrief`` band also asks for a debrief."""

    code: str
    holds: Callable[[float, Thresholds], bool]
    words: str
    margin: str | None = None
    debrief: bool = False


#: The first band whose test holds applies (so "just below" means below, but not clearly).
OVERALL_BANDS: tuple[_Band, ...] = (
    _Band(
        OVERALL_CLEARLY_BELOW_BAR,
        lambda cal, t: cal < t.bar - t.no_hire_margin,
        "Overall score is clearly below the bar: {summary} < {bar} - {no_hire_margin}.",
        margin="no_hire_margin",
    ),
    _Band(
        OVERALL_BELOW_BAR,
        lambda cal, t: cal < t.bar,
        "Overall score is just below the bar: {summary} < {bar}, but within "
        "{no_hire_margin} of it; the panel should make this call.",
        margin="no_hire_margin",
        debrief=True,
    ),
    _Band(
        OVERALL_WELL_ABOVE_BAR,
        lambda cal, t: cal >= t.bar + t.strong_hire_margin,
        "Overall score is well above the bar: {summary} >= {bar} + {strong_hire_margin}.",
        margin="strong_hire_margin",
    ),
    _Band(
        OVERALL_MEETS_BAR,
        lambda cal, t: True,
        "Overall score meets the bar: {summary} >= {bar}.",
    ),
)
_BELOW_BANDS = frozenset({OVERALL_CLEARLY_BELOW_BAR, OVERALL_BELOW_BAR})


def _band_reason(band: _Band, scores: LoopScores, t: Thresholds) -> Reason:
    overall = scores.overall
    assert overall.calibrated is not None
    assert overall.raw is not None
    data = _overall_data(scores, t.bar)
    if band.margin is not None:
        data = {**data, "margin": _r(getattr(t, band.margin))}
    words = band.words.format(
        summary=f"calibrated {_f(overall.calibrated)} (raw {_f(overall.raw)})",
        bar=_f(t.bar),
        no_hire_margin=_f(t.no_hire_margin),
        strong_hire_margin=_f(t.strong_hire_margin),
    )
    return Reason(band.code, words, data)


def _overall_data(scores: LoopScores, bar: float) -> dict[str, Any]:
    overall = scores.overall
    assert overall.calibrated is not None
    assert overall.raw is not None
    assert overall.se is not None
    assert overall.low is not None
    assert overall.high is not None
    return {
        "calibrated": _r(overall.calibrated),
        "raw": _r(overall.raw),
        "se": _r(overall.se),
        "low": _r(overall.low),
        "high": _r(overall.high),
        "bar": _r(bar),
        "interval_level": scores.interval_level,
    }


def _bar_within_interval(scores: LoopScores, bar: float) -> list[Reason]:
    overall = scores.overall
    assert overall.low is not None
    assert overall.high is not None
    if not overall.low <= bar <= overall.high:
        return []
    return [
        Reason(
            BAR_WITHIN_INTERVAL,
            f"The bar {_f(bar)} lies inside the overall score's "
            f"{round(scores.interval_level * 100)}% interval "
            f"[{_f(overall.low)}, {_f(overall.high)}].",
            _overall_data(scores, bar),
        )
    ]


def _no_ratings(scorecards: Sequence[ScorecardInput], scorecards_in: int) -> Reason:
    return Reason(
        NO_RATINGS,
        "No dimension has a rating yet, so there is no score to judge."
        if scorecards
        else "No scorecard has been submitted yet.",
        {"scorecards_in": scorecards_in},
    )


def _judge_overall(
    scores: LoopScores, t: Thresholds, scorecards: Sequence[ScorecardInput], scorecards_in: int
) -> tuple[_Band | None, Reason, list[Reason]]:
    """The overall score's band (``None`` when nothing is rated), its reason, and the debrief
    reasons it brings: a close call, the bar inside the interval, or scorecards with no
    rating at all."""
    calibrated = scores.overall.calibrated
    if calibrated is None:
        no_ratings = _no_ratings(scorecards, scorecards_in)
        return None, no_ratings, [no_ratings] if scorecards else []
    band = next(b for b in OVERALL_BANDS if b.holds(calibrated, t))
    reason = _band_reason(band, scores, t)
    debrief = [reason] if band.debrief else []
    return band, reason, debrief + _bar_within_interval(scores, t.bar)


# --- The verdict: a table of rules --------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    red_flag_no_hire: bool  # enough interviewers raised red flags
    must_have_below: bool  # a must-have dimension is below the bar
    band: str | None  # code of the overall band; None when nothing is rated
    strong_hire_blocked: bool  # a red flag, a strong no or an unrated must-have


#: What the rule says on the scorecards so far: the first rule that holds decides. ``None``:
#: nothing can be said yet (the verdict stays incomplete).
VERDICT_RULES: tuple[tuple[Callable[[_Facts], bool], str | None], ...] = (
    (lambda f: f.red_flag_no_hire, NO_HIRE),
    (lambda f: f.band is None, None),
    (lambda f: f.must_have_below, NO_HIRE),
    (lambda f: f.band in _BELOW_BANDS, NO_HIRE),
    (lambda f: f.band == OVERALL_WELL_ABOVE_BAR and not f.strong_hire_blocked, STRONG_HIRE),
    (lambda f: True, HIRE),
)


def _verdict(facts: _Facts) -> str | None:
    return next(verdict for holds, verdict in VERDICT_RULES if holds(facts))


def _strong_hire_blockers(
    scorecards: Sequence[ScorecardInput], flags: _RedFlags, must: _MustHaves
) -> list[Reason]:
    """Why a loop well above the bar is only a hire, in a fixed order."""
    blockers: list[Reason] = []
    strong_no = [c for c in scorecards if c.recommendation == "strong_no"]
    if strong_no:
        strong_no_names = [c.interviewer_name for c in strong_no]
        blockers.append(
            Reason(
                STRONG_NO_PRESENT,
                f"Not a strong hire: {_names(strong_no_names)} said strong no.",
                {"interviewers": [c.interviewer for c in strong_no], "names": strong_no_names},
            )
        )
    if flags.names:
        blockers.append(
            Reason(
                RED_FLAG_SINGLE,
                f"Not a strong hire: {_names(list(flags.names.values()))} raised a red flag.",
                flags.data,
            )
        )
    if must.missing:
        blockers.append(must.missing_reason)
    return blockers


# --- Disagreement -------------------------------------------------------------------------------


def _split_recommendations(scorecards: Sequence[ScorecardInput]) -> list[Reason]:
    negative = [c for c in scorecards if c.recommendation in NEGATIVE]
    positive = [c for c in scorecards if c.recommendation in POSITIVE]
    if not (negative and positive):
        return []

    def who(cards: list[ScorecardInput]) -> str:
        return _names([f"{c.interviewer_name} ({c.recommendation})" for c in cards])

    return [
        Reason(
            SPLIT_RECOMMENDATIONS,
            f"Recommendations fall on both sides of the bar: {who(positive)} for; "
            f"{who(negative)} against.",
            {
                "for": {c.interviewer: c.recommendation for c in positive},
                "against": {c.interviewer: c.recommendation for c in negative},
            },
        )
    ]


def _dimension_spreads(
    scorecards: Sequence[ScorecardInput], points: int, name: Callable[[str], str]
) -> list[Reason]:
    by_dim: dict[str, list[tuple[float, ScorecardInput]]] = {}
    for card in scorecards:
        for dim, value in card.ratings.items():
            by_dim.setdefault(dim, []).append((float(value), card))
    spreads: list[Reason] = []
    for dim in sorted(by_dim, key=lambda k: (name(k), k)):
        entries = by_dim[dim]
        lo = min(entries, key=lambda e: e[0])
        hi = max(entries, key=lambda e: e[0])
        gap = hi[0] - lo[0]
        if gap >= points:
            spreads.append(
                Reason(
                    DIMENSION_SPREAD,
                    f"Ratings of {name(dim)} are {_rating(gap)} points apart: "
                    f"{hi[1].interviewer_name} rated {_rating(hi[0])}, "
                    f"{lo[1].interviewer_name} rated {_rating(lo[0])}.",
                    {
                        "dimension": dim,
                        "name": name(dim),
                        "min": _r(lo[0]),
                        "max": _r(hi[0]),
                        "gap": _r(gap),
                        "min_interviewer": lo[1].interviewer,
                        "max_interviewer": hi[1].interviewer,
                        "threshold": points,
                    },
                )
            )
    return spreads


# --- Level below --------------------------------------------------------------------------------


def _level_below(
    t: Thresholds,
    provisional: str | None,
    flags: _RedFlags,
    must_have: Collection[str],
    must: _MustHaves,
    scores: LoopScores,
) -> Reason | None:
    """A no hire that clears the bar of the level below (overall and every must-have)."""
    calibrated = scores.overall.calibrated
    if (
        t.level_below_bar is None
        or provisional != NO_HIRE
        or flags.no_hire
        or calibrated is None
        or calibrated < t.level_below_bar
        or must.missing
        or any(scores.dimensions[d].estimate < t.level_below_bar for d in must_have)
    ):
        return None
    return Reason(
        LEVEL_BELOW_SUGGESTED,
        f"Clears the bar of {t.level_below_name or 'the level below'} "
        f"({_f(t.level_below_bar)}): overall calibrated "
        f"{_f(calibrated)} and every must-have at or above it.",
        {
            "level": t.level_below_name,
            "level_below_bar": _r(t.level_below_bar),
            "calibrated": _r(calibrated),
        },
    )


# --- The rule -----------------------------------------------------------------------------------


def recommend(
    *,
    complete: bool,
    scorecards_in: int,
    scorecards_expected: int,
    scores: LoopScores,
    scorecards: Sequence[ScorecardInput],
    must_have: Collection[str],
    dimension_names: Mapping[str, str],
    thresholds: Thresholds,
) -> Verdict:
    """Apply the rule. ``complete``: every non-cancelled interview has a submitted scorecard.
    ``must_have``: keys of the must-have dimensions; ``dimension_names``: key -> display name
    (keys missing fall back to the key). ``scorecards``: the submitted ones only.

    Reasons come in a fixed order: partial, red flags, must-haves below the bar, the overall
    band (or no ratings), why not a strong hire, the level below. Debrief reasons: a single
    red flag, an unrated must-have, the close call (or no ratings), the bar inside the
    interval, split recommendations, dimension spreads."""
    t = thresholds

    def name(dim: str) -> str:
        return dimension_names.get(dim, dim)

    flags = _RedFlags.of(scorecards, t.red_flag_no_hire_count)
    must = _MustHaves.of(must_have, scores, t.bar, name, t.scale_max)
    reasons = [*flags.no_hire_reasons(), *must.below]
    debrief = flags.debrief_reasons()
    if must.missing and complete and scores.overall.calibrated is not None:
        # Only once every scorecard is in: earlier, a later interview may still cover it.
        debrief.append(must.missing_reason)

    band, overall_reason, overall_debrief = _judge_overall(scores, t, scorecards, scorecards_in)
    reasons.append(overall_reason)
    debrief += overall_debrief

    blockers = _strong_hire_blockers(scorecards, flags, must)
    provisional = _verdict(
        _Facts(
            red_flag_no_hire=flags.no_hire,
            must_have_below=bool(must.below),
            band=band.code if band else None,
            strong_hire_blocked=bool(blockers),
        )
    )
    if band is not None and band.code == OVERALL_WELL_ABOVE_BAR and provisional == HIRE:
        reasons += blockers

    debrief += _split_recommendations(scorecards)
    debrief += _dimension_spreads(scorecards, t.disagreement_points, name)

    level = _level_below(t, provisional, flags, must_have, must, scores)
    if level is not None:
        reasons.append(level)

    if complete:
        recommendation = provisional if provisional is not None else INCOMPLETE
    else:
        recommendation = INCOMPLETE
        reasons.insert(0, _partial(scorecards_in, scorecards_expected))

    return Verdict(
        recommendation=recommendation,
        needs_debrief=bool(debrief),
        reasons=reasons,
        debrief_reasons=debrief,
        level_suggestion=(t.level_below_name or "the level below") if level else None,
        provisional=provisional,
        partial=not complete,
    )


def _partial(scorecards_in: int, scorecards_expected: int) -> Reason:
    return Reason(
        PARTIAL,
        f"Partial: {scorecards_in} of {scorecards_expected} scorecards submitted.",
        {"scorecards_in": scorecards_in, "scorecards_expected": scorecards_expected},
    )
