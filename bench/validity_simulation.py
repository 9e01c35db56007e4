"""Does the validity report find what predicts? A simulation with known truth (issue 18).

Each candidate has a hidden ability ~ N(0, 1). Interviewers have a leniency ~ N(0, 0.4);
most rate with noise ~ N(0, 0.6), the noisy ones with noise ~ N(0, 2.5). Of the six
dimensions, three are predictive (their rating loads on ability: 0.8, 0.6, 0.5) and three are
pure noise (they load on a per-candidate nuisance trait unrelated to ability). Each loop is 5
interviewers, each rating 4 of the 6 dimensions, rounded and clipped to the 1-4 scale.

The same pipeline as the product: the joint leniency fit over all loops, then ``score_loop``
for each candidate's calibrated per-dimension scores and overall (the profile weighs every
dimension 1). The top 35 % by calibrated overall are hired: range restriction happens, as in
life. Each hire's performance at 12 months comes from the same ability plus noise ~ N(0, 0.8),
on a 1-5 scale; a hire whose latent performance is in the bottom tenth left unregretted
before the rating (the outcome rule counts that as the scale minimum).

Then the report's own pure function (``scorecards.analytics.stats.validity.analyse``) runs on
the hires, with the product's defaults (Spearman, 1,000 resamples, 95 %, min 15 hires), and
the script prints, per seed: each dimension's validity and interval, whether every predictive
dimension ranks above every noise one (PASS/FAIL), the interviewers flagged as noisy against
the truth (precision and recall), and the suggested weights.

    .venv/bin/python bench/validity_simulation.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scorecards.analytics.stats.validity import (
    Checkpoint,
    Hire,
    analyse,
    outcome_score,
)
from scorecards.calibration.model import LoopRating, fit_leniency, score_loop

N_CANDIDATES = 800
N_INTERVIEWERS = 15
N_NOISY = 3
PANEL = 5
FOCUS = 4
LOADINGS = (0.8, 0.6, 0.5, 0.0, 0.0, 0.0)  # d0-d2 predictive, d3-d5 noise
N_DIMENSIONS = len(LOADINGS)
PREDICTIVE = {f"d{k}" for k, load in enumerate(LOADINGS) if load > 0}
LENIENCY_SD = 0.4
NOISE_SD = 0.6
NOISY_SD = 2.5
HIRE_SHARE = 0.35
OUTCOME_NOISE_SD = 0.8
LEFT_SHARE = 0.1
WEIGHTS = {f"d{k}": 1.0 for k in range(N_DIMENSIONS)}


@dataclass(frozen=True)
class Result:
    ranked: list[str]  # dimensions by validity, highest first
    passed: bool
    flagged: set[str]
    noisy: set[str]
    validities: dict[str, tuple[float, float, float]]
    overall: tuple[float, float, float]
    suggested: dict[str, float] | None
    n_hires: int
    interviewers_shown: int


def run(seed: int) -> Result:
    rng = np.random.default_rng(seed)
    ability = rng.normal(0.0, 1.0, N_CANDIDATES)
    nuisance = rng.normal(0.0, 1.0, N_CANDIDATES)  # what the noise dimensions measure
    leniency = rng.normal(0.0, LENIENCY_SD, N_INTERVIEWERS)
    noisy = set(rng.choice(N_INTERVIEWERS, N_NOISY, replace=False).tolist())
    noise_sd = np.array([NOISY_SD if i in noisy else NOISE_SD for i in range(N_INTERVIEWERS)])
    loadings = np.array(LOADINGS)
    cand, inter, dim = [], [], []
    for c in range(N_CANDIDATES):
        for i in rng.choice(N_INTERVIEWERS, PANEL, replace=False):
            focus = rng.choice(N_DIMENSIONS, FOCUS, replace=False)
            cand.extend([c] * FOCUS)
            inter.extend([int(i)] * FOCUS)
            dim.extend(focus.tolist())
    c_a, i_a, d_a = np.array(cand), np.array(inter), np.array(dim)
    trait = np.where(loadings[d_a] > 0, loadings[d_a] * ability[c_a], 0.7 * nuisance[c_a])
    latent = 2.5 + trait + leniency[i_a] + rng.normal(0.0, 1.0, len(c_a)) * noise_sd[i_a]
    values = np.clip(np.round(latent), 1, 4)

    fit = fit_leniency(c_a, i_a, d_a, values, N_CANDIDATES, N_INTERVIEWERS, N_DIMENSIONS)
    lenient = {str(i): float(b) for i, b in enumerate(fit.leniency)}
    lenient_var = {str(i): float(s) ** 2 for i, s in enumerate(fit.leniency_se)}
    order = np.argsort(c_a, kind="mergesort")
    rows_of = np.split(order, np.flatnonzero(np.diff(c_a[order])) + 1)
    overall = np.empty(N_CANDIDATES)
    per_dimension: list[dict[str, float]] = []
    own: list[dict[str, float]] = []
    for c, rows in enumerate(rows_of):
        scores = score_loop(
            [LoopRating(str(i_a[r]), f"d{d_a[r]}", float(values[r])) for r in rows],
            lenient,
            WEIGHTS,
            fit.residual_variance,
            leniency_variance=lenient_var,
            pair_variance=fit.pair_variance,
        )
        assert scores.overall.calibrated is not None
        overall[c] = scores.overall.calibrated
        per_dimension.append({k: s.calibrated for k, s in scores.dimensions.items()})
        mine: dict[str, list[float]] = {}
        for r in rows:
            mine.setdefault(str(i_a[r]), []).append(float(values[r]))
        own.append({k: float(np.mean(v)) for k, v in mine.items()})

    hired = np.argsort(-overall, kind="mergesort")[: round(HIRE_SHARE * N_CANDIDATES)]
    performance = ability[hired] + rng.normal(0.0, OUTCOME_NOISE_SD, len(hired))
    left = performance <= np.quantile(performance, LEFT_SHARE)
    rating = np.clip(np.round(3 + (performance - performance.mean()) / performance.std()), 1, 5)
    hires = []
    for k, c in enumerate(hired):
        checkpoint = (
            Checkpoint(12, None, 5, still_employed=False, regretted=False)
            if left[k]
            else Checkpoint(12, int(rating[k]), 5, still_employed=True, regretted=None)
        )
        outcome = outcome_score([checkpoint])
        assert outcome is not None
        hires.append(
            Hire(
                outcome=outcome,
                overall=float(overall[c]),
                dimensions=per_dimension[c],
                interviewers=own[c],
            )
        )
    report = analyse(hires, weights=WEIGHTS)
    figures = {
        key: (float(f.r or 0.0), float(f.low or 0.0), float(f.high or 0.0))
        for key, f in report.dimensions.items()
    }
    ranked = sorted(figures, key=lambda key: -figures[key][0])
    passed = set(ranked[: len(PREDICTIVE)]) == PREDICTIVE
    return Result(
        ranked=ranked,
        passed=passed,
        flagged=set(report.noisy),
        noisy={str(i) for i in noisy},
        validities=figures,
        overall=(
            float(report.overall.r or 0.0),
            float(report.overall.low or 0.0),
            float(report.overall.high or 0.0),
        ),
        suggested=({a.dimension: a.suggested for a in report.weights} if report.weights else None),
        n_hires=report.n_hires,
        interviewers_shown=len(report.interviewers),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    started = time.perf_counter()
    print(
        f"{N_CANDIDATES} candidates, {N_INTERVIEWERS} interviewers ({N_NOISY} noisy: noise sd "
        f"{NOISY_SD} vs {NOISE_SD}), panels of {PANEL} rating {FOCUS} of {N_DIMENSIONS} "
        f"dimensions (loadings {LOADINGS}), top {HIRE_SHARE:.0%} hired; Spearman, 1000 "
        "resamples, 95 %, min 15 hires.\n"
    )
    print(
        "| seed | hires | overall rho [95 %] | d0 | d1 | d2 | d3 | d4 | d5 | rank order | "
        "predictive on top | flagged noisy (true) | precision | recall |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    passes, tp, fp, fn = 0, 0, 0, 0
    suggested: list[dict[str, float]] = []
    for seed in range(1, args.seeds + 1):
        result = run(seed)
        passes += result.passed
        hit = result.flagged & result.noisy
        tp += len(hit)
        fp += len(result.flagged - result.noisy)
        fn += len(result.noisy - result.flagged)
        precision = len(hit) / len(result.flagged) if result.flagged else float("nan")
        recall = len(hit) / len(result.noisy)
        cells = " | ".join(
            f"{r:+.2f} [{lo:+.2f}, {hi:+.2f}]"
            for r, lo, hi in (result.validities[f"d{k}"] for k in range(N_DIMENSIONS))
        )
        r, lo, hi = result.overall
        print(
            f"| {seed} | {result.n_hires} | {r:+.2f} [{lo:+.2f}, {hi:+.2f}] | {cells} | "
            f"{' > '.join(result.ranked)} | {'PASS' if result.passed else 'FAIL'} | "
            f"{len(result.flagged)} ({len(hit)} of {len(result.noisy)}) | {precision:.2f} | "
            f"{recall:.2f} |"
        )
        if result.suggested:
            suggested.append(result.suggested)
    seeds = args.seeds
    print(
        f"\nPredictive dimensions ranked above every noise one: {passes}/{seeds} seeds "
        f"({'PASS' if passes == seeds else 'FAIL'})."
    )
    overall_precision = tp / (tp + fp) if tp + fp else float("nan")
    print(
        f"Noisy interviewers flagged: precision {overall_precision:.2f} ({tp} of {tp + fp} "
        f"flags), recall {tp / (tp + fn):.2f} ({tp} of {tp + fn} noisy interviewers)."
    )
    if suggested:
        mean = {k: float(np.mean([s[k] for s in suggested])) for k in WEIGHTS}
        print(
            "Suggested weights (current 1 each), mean over seeds with a suggestion "
            f"({len(suggested)}/{seeds}): " + ", ".join(f"{k} {v:.2f}" for k, v in mean.items())
        )
    print(f"\n{time.perf_counter() - started:.1f} s")
    return 0 if passes == seeds else 1


if __name__ == "__main__":
    raise SystemExit(main())
