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
  ``bar_within_interval`` (bar inside the overall interval, bounds included).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from scorecards.calibration import LoopScores

INCOMPLETE = "incomplete"
NO_HIRE = "no_hire"
HIRE = "hire"
STRONG_HIRE = "strong_hire"
RECOMMENDATIONS = (INCOMPLETE, NO_HIRE, HIRE, STRONG_HIRE)

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
    (keys missing fall back to the key). ``scorecards``: the submitted ones only."""
    t = thresholds
    bar = t.bar
    reasons: list[Reason] = []
    debrief: list[Reason] = []

    def name(dim: str) -> str:
        return dimension_names.get(dim, dim)

    # --- Red flags: counted per interviewer ---------------------------------------------
    flaggers: dict[str, str] = {}
    flag_counts: dict[str, int] = {}
    for card in scorecards:
        if card.red_flags > 0:
            flaggers.setdefault(card.interviewer, card.interviewer_name)
            flag_counts[card.interviewer] = flag_counts.get(card.interviewer, 0) + card.red_flags
    flagger_names = list(flaggers.values())
    red_flag_no_hire = len(flaggers) >= t.red_flag_no_hire_count
    red_flag_data = {
        "interviewers": list(flaggers),
        "names": flagger_names,
        "red_flags": [flag_counts[k] for k in flaggers],
        "threshold": t.red_flag_no_hire_count,
    }
    if red_flag_no_hire:
        count = len(flaggers)
        reasons.append(
            Reason(
                RED_FLAGS_MULTIPLE,
                f"{count} interviewer{'s' if count != 1 else ''} raised red flags "
                f"({_names(flagger_names)}); {t.red_flag_no_hire_count} or more means no hire.",
                red_flag_data,
            )
        )
    if len(flaggers) == 1:
        debrief.append(
            Reason(
                RED_FLAG_SINGLE,
                f"A single interviewer raised red flags: {flagger_names[0]} "
                f"({flag_counts[next(iter(flaggers))]}).",
                red_flag_data,
            )
        )

    # --- Must-have dimensions -----------------------------------------------------------
    must_below: list[str] = []
    must_missing: list[str] = []
    for dim in sorted(must_have, key=lambda k: (name(k), k)):
        score = scores.dimensions.get(dim)
        if score is None:
            must_missing.append(dim)
        elif score.calibrated < bar:
            must_below.append(dim)
            reasons.append(
                Reason(
                    MUST_HAVE_BELOW_BAR,
                    f"Must-have dimension {name(dim)} is below the bar: calibrated "
                    f"{_f(score.calibrated)} < {_f(bar)} (raw {_f(score.raw_mean)}, "
                    f"{score.n_ratings} rating{'s' if score.n_ratings != 1 else ''}).",
                    {
                        "dimension": dim,
                        "name": name(dim),
                        "calibrated": _r(score.calibrated),
                        "raw": _r(score.raw_mean),
                        "low": _r(score.low),
                        "high": _r(score.high),
                        "n_ratings": score.n_ratings,
                        "bar": _r(bar),
                    },
                )
            )
    missing = Reason(
        MUST_HAVE_NOT_ASSESSED,
        f"Must-have dimension{'s' if len(must_missing) != 1 else ''} not rated by anyone: "
        f"{_names([name(d) for d in must_missing])}.",
        {"dimensions": must_missing, "names": [name(d) for d in must_missing]},
    )
    if must_missing and complete and scores.overall.calibrated is not None:
        # Only once every scorecard is in: earlier, a later interview may still cover it.
        debrief.append(missing)

    # --- Overall ----------------------------------------------------------------------------
    overall = scores.overall
    no_ratings = overall.calibrated is None
    provisional: str | None
    strong_no = [c for c in scorecards if c.recommendation == "strong_no"]
    if no_ratings:
        reasons.append(
            Reason(
                NO_RATINGS,
                "No dimension has a rating yet, so there is no score to judge."
                if scorecards
                else "No scorecard has been submitted yet.",
                {"scorecards_in": scorecards_in},
            )
        )
        provisional = NO_HIRE if red_flag_no_hire else None
        if scorecards:
            debrief.append(reasons[-1])
    else:
        assert overall.calibrated is not None
        assert overall.low is not None
        assert overall.high is not None
        assert overall.se is not None
        assert overall.raw is not None
        cal = overall.calibrated
        odata = {
            "calibrated": _r(cal),
            "raw": _r(overall.raw),
            "se": _r(overall.se),
            "low": _r(overall.low),
            "high": _r(overall.high),
            "bar": _r(bar),
            "interval_level": scores.interval_level,
        }
        summary = f"calibrated {_f(cal)} (raw {_f(overall.raw)})"
        clearly_below = cal < bar - t.no_hire_margin
        if clearly_below:
            reasons.append(
                Reason(
                    OVERALL_CLEARLY_BELOW_BAR,
                    f"Overall score is clearly below the bar: {summary} < "
                    f"{_f(bar)} - {_f(t.no_hire_margin)}.",
                    {**odata, "margin": _r(t.no_hire_margin)},
                )
            )
        elif cal < bar:
            below = Reason(
                OVERALL_BELOW_BAR,
                f"Overall score is just below the bar: {summary} < {_f(bar)}, but within "
                f"{_f(t.no_hire_margin)} of it; the panel should make this call.",
                {**odata, "margin": _r(t.no_hire_margin)},
            )
            reasons.append(below)
            debrief.append(below)
        elif cal >= bar + t.strong_hire_margin:
            reasons.append(
                Reason(
                    OVERALL_WELL_ABOVE_BAR,
                    f"Overall score is well above the bar: {summary} >= "
                    f"{_f(bar)} + {_f(t.strong_hire_margin)}.",
                    {**odata, "margin": _r(t.strong_hire_margin)},
                )
            )
        else:
            reasons.append(
                Reason(
                    OVERALL_MEETS_BAR,
                    f"Overall score meets the bar: {summary} >= {_f(bar)}.",
                    odata,
                )
            )
        if overall.low <= bar <= overall.high:
            debrief.append(
                Reason(
                    BAR_WITHIN_INTERVAL,
                    f"The bar {_f(bar)} lies inside the overall score's "
                    f"{round(scores.interval_level * 100)}% interval "
                    f"[{_f(overall.low)}, {_f(overall.high)}].",
                    odata,
                )
            )

        if red_flag_no_hire or must_below or cal < bar:
            provisional = NO_HIRE
        elif cal >= bar + t.strong_hire_margin:
            blockers = bool(flaggers) or bool(strong_no) or bool(must_missing)
            provisional = HIRE if blockers else STRONG_HIRE
            if strong_no:
                strong_no_names = [c.interviewer_name for c in strong_no]
                reasons.append(
                    Reason(
                        STRONG_NO_PRESENT,
                        f"Not a strong hire: {_names(strong_no_names)} said strong no.",
                        {
                            "interviewers": [c.interviewer for c in strong_no],
                            "names": strong_no_names,
                        },
                    )
                )
            if flaggers:
                reasons.append(
                    Reason(
                        RED_FLAG_SINGLE,
                        f"Not a strong hire: {_names(flagger_names)} raised a red flag.",
                        red_flag_data,
                    )
                )
            if must_missing:
                reasons.append(missing)
        else:
            provisional = HIRE

    # --- Disagreement -------------------------------------------------------------------
    negative = [c for c in scorecards if c.recommendation in NEGATIVE]
    positive = [c for c in scorecards if c.recommendation in POSITIVE]
    if negative and positive:
        debrief.append(
            Reason(
                SPLIT_RECOMMENDATIONS,
                f"Recommendations fall on both sides of the bar: "
                f"{_names([f'{c.interviewer_name} ({c.recommendation})' for c in positive])} "
                f"for; "
                f"{_names([f'{c.interviewer_name} ({c.recommendation})' for c in negative])} "
                f"against.",
                {
                    "for": {c.interviewer: c.recommendation for c in positive},
                    "against": {c.interviewer: c.recommendation for c in negative},
                },
            )
        )
    by_dim: dict[str, list[tuple[float, ScorecardInput]]] = {}
    for card in scorecards:
        for dim, value in card.ratings.items():
            by_dim.setdefault(dim, []).append((float(value), card))
    for dim in sorted(by_dim, key=lambda k: (name(k), k)):
        entries = by_dim[dim]
        lo = min(entries, key=lambda e: e[0])
        hi = max(entries, key=lambda e: e[0])
        gap = hi[0] - lo[0]
        if gap >= t.disagreement_points:
            debrief.append(
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
                        "threshold": t.disagreement_points,
                    },
                )
            )

    # --- Level below ------------------------------------------------------------------------
    level_suggestion: str | None = None
    if (
        t.level_below_bar is not None
        and provisional == NO_HIRE
        and not red_flag_no_hire
        and overall.calibrated is not None
        and overall.calibrated >= t.level_below_bar
        and not must_missing
        and all(scores.dimensions[d].calibrated >= t.level_below_bar for d in must_have)
    ):
        level_name = t.level_below_name or "the level below"
        level_suggestion = t.level_below_name or level_name
        reasons.append(
            Reason(
                LEVEL_BELOW_SUGGESTED,
                f"Clears the bar of {level_name} ({_f(t.level_below_bar)}): overall calibrated "
                f"{_f(overall.calibrated)} and every must-have at or above it.",
                {
                    "level": t.level_below_name,
                    "level_below_bar": _r(t.level_below_bar),
                    "calibrated": _r(overall.calibrated),
                },
            )
        )

    # --- Completeness -----------------------------------------------------------------------
    if complete:
        recommendation = provisional if provisional is not None else INCOMPLETE
    else:
        recommendation = INCOMPLETE
        reasons.insert(
            0,
            Reason(
                PARTIAL,
                f"Partial: {scorecards_in} of {scorecards_expected} scorecards submitted.",
                {"scorecards_in": scorecards_in, "scorecards_expected": scorecards_expected},
            ),
        )

    return Verdict(
        recommendation=recommendation,
        needs_debrief=bool(debrief),
        reasons=reasons,
        debrief_reasons=debrief,
        level_suggestion=level_suggestion,
        provisional=provisional,
        partial=not complete,
    )
