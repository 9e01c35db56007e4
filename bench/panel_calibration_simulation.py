"""Do calibration-aware panels estimate new interviewers' leniency better? A simulation.

A company has 20 interviewers with a history (200 past loops of random four-person panels,
so their leniencies are well estimated) and 10 who just joined (no ratings yet). True
leniencies ~ N(0, 0.5), candidates' ability ~ N(0, 0.7); each interviewer rates the three
focus dimensions of their interview with an interview effect ~ N(0, 0.3) and noise
~ N(0, 0.6), rounded and clipped to the 1-4 scale (as bench/evaluate_calibration.py).

Then K new loops are scheduled one after another by the product's own proposer
(``hiring.scheduling.solver.propose``): four slots, everyone free the whole day, the best
proposal taken, the interviews it books counted as that week's load (a new week every 20
loops), the leniencies refitted every 10 loops (as the nightly refit would) and handed to
the proposer. Two policies, same seeds, same candidates:

* load balance - ``calibration_aware=False``: fewest days and gaps, lightest-loaded people;
* calibration-aware - the default: the same, plus at least one well-estimated interviewer,
  not every known leniency leaning the same way, new interviewers beside calibrated ones.

After the K loops everything is fitted (``fit_leniency``) and, for the 10 new interviewers,
the Pearson correlation of estimated with true leniency and the RMSE are reported, averaged
over seeds; beside them the floor of the same run: the correlation for the 20 veterans.

    .venv/bin/python bench/panel_calibration_simulation.py [--loops 60] [--seeds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hiring.scheduling.solver import Interviewer, Request, Slot, propose
from scorecards.calibration.model import fit_leniency

VETERANS, NEWCOMERS = 20, 10
HISTORY_LOOPS = 200
PANEL, FOCUS, DIMENSIONS = 4, 3, 6
LENIENCY_SD, ABILITY_SD, HALO_SD, NOISE_SD = 0.5, 0.7, 0.3, 0.6
REFIT_EVERY, WEEK = 10, 20
MONDAY = datetime(2031, 3, 3, tzinfo=UTC)


@dataclass
class Ratings:
    cand: list[int] = field(default_factory=list)
    inter: list[int] = field(default_factory=list)
    dim: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


class World:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.people = VETERANS + NEWCOMERS
        self.leniency = self.rng.normal(0.0, LENIENCY_SD, self.people)
        self.mu = self.rng.normal(2.6, 0.2, DIMENSIONS)
        self.ratings = Ratings()
        self.candidates = 0

    def interview(self, panel: list[int]) -> None:
        """One loop of a new candidate with ``panel``: every rating simulated."""
        candidate, self.candidates = self.candidates, self.candidates + 1
        ability = self.rng.normal(0.0, ABILITY_SD)
        for person in panel:
            halo = self.rng.normal(0.0, HALO_SD)
            for d in self.rng.choice(DIMENSIONS, FOCUS, replace=False):
                latent = (
                    self.mu[d]
                    + ability
                    + self.leniency[person]
                    + halo
                    + self.rng.normal(0.0, NOISE_SD)
                )
                self.ratings.cand.append(candidate)
                self.ratings.inter.append(person)
                self.ratings.dim.append(int(d))
                self.ratings.values.append(float(np.clip(np.round(latent), 1, 4)))

    def fit(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r = self.ratings
        fit = fit_leniency(
            r.cand, r.inter, r.dim, r.values, self.candidates, self.people, DIMENSIONS
        )
        return fit.leniency, fit.leniency_se, fit.ratings_per_interviewer


def schedule(world: World, loops: int, aware: bool) -> None:
    """``loops`` loops, each panel the proposer's best for that day."""
    day_start = MONDAY + timedelta(hours=9)
    slots = tuple(
        Slot(f"s{n}", f"Interview {n + 1}", 45, tuple(range(world.people)), buffer_after=15)
        for n in range(PANEL)
    )
    leniency, se, counts = world.fit()
    load: dict[int, int] = {}
    for n in range(loops):
        if n % REFIT_EVERY == 0 and n:
            leniency, se, counts = world.fit()
        if n % WEEK == 0:
            load = {}
        today = date(2031, 3, 3)
        people = {
            pk: Interviewer(
                pk,
                f"P{pk}",
                "UTC",
                ((day_start, day_start + timedelta(hours=8)),),
                day_limit=50,
                week_limit=50,
                booked={today: load.get(pk, 0)},
                leniency=float(leniency[pk]) if counts[pk] else None,
                leniency_se=float(se[pk]) if counts[pk] else None,
            )
            for pk in range(world.people)
        }
        window = ((day_start, day_start + timedelta(hours=8)),)
        request = Request(slots, people, window, "UTC", 15, count=1, calibration_aware=aware)
        best = propose(request).proposals[0]
        panel = [p.interviewer.id for p in best.placements]
        for pk in panel:
            load[pk] = load.get(pk, 0) + 1
        world.interview(panel)


def run(seed: int, loops: int, aware: bool) -> dict[str, float]:
    world = World(seed)
    history = np.random.default_rng(seed + 1000)
    for _ in range(HISTORY_LOOPS):
        world.interview(history.choice(VETERANS, PANEL, replace=False).tolist())
    schedule(world, loops, aware)
    estimate, _, counts = world.fit()
    new = np.arange(VETERANS, world.people)
    old = np.arange(VETERANS)
    seen = new[counts[new] > 0]
    return {
        "corr_new": float(np.corrcoef(estimate[seen], world.leniency[seen])[0, 1]),
        "rmse_new": float(np.sqrt(np.mean((estimate[seen] - world.leniency[seen]) ** 2))),
        "new_rated": float(len(seen)),
        "corr_veterans": float(np.corrcoef(estimate[old], world.leniency[old])[0, 1]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loops", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"{VETERANS} veterans ({HISTORY_LOOPS} past loops), {NEWCOMERS} new interviewers, "
          f"{args.loops} loops scheduled by the proposer, {args.seeds} seeds")  # fmt: skip
    for aware, name in ((False, "load balance"), (True, "calibration-aware")):
        results = [run(11 + s, args.loops, aware) for s in range(args.seeds)]
        mean = {k: statistics.mean(r[k] for r in results) for k in results[0]}
        print(f"{name:18s} new interviewers: corr {mean['corr_new']:.3f}, "
              f"RMSE {mean['rmse_new']:.3f} ({mean['new_rated']:.1f} of {NEWCOMERS} rated); "
              f"veterans (floor): corr {mean['corr_veterans']:.3f}")  # fmt: skip
    print(f"took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
