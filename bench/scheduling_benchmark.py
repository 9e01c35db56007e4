"""Time the schedule proposer (hiring/scheduling/solver.py) at a real company's size.

A six-slot plan (the VP-of-Product loop's shape: two cases with a readout after the first on
the same day, three conversations), every slot's pool the same 300 interviewers, ten working
days of calendars with about twenty busy blocks each inside meeting hours of 09:00-17:00,
and a candidate available on every one of those days. It asks for the top five proposals,
three times, and prints the median time and the process's peak memory; beside it, the floor
of the same run: one trivial CP-SAT model solved, the cost of starting the solver at all.

    .venv/bin/python bench/scheduling_benchmark.py [--pool 300] [--days 10] [--busy 20]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ortools.sat.python import cp_model  # noqa: E402

from hiring.scheduling.solver import Interviewer, Request, Slot, propose, violations  # noqa: E402

MONDAY = datetime(2031, 3, 3, tzinfo=UTC)


def working_days(days: int) -> list[datetime]:
    found: list[datetime] = []
    day = MONDAY
    while len(found) < days:
        if day.weekday() < 5:
            found.append(day)
        day += timedelta(days=1)
    return found


def free_time(day_starts: list[datetime], busy: int, rng: random.Random) -> tuple:
    """Meeting hours (09:00-17:00 UTC) minus ``busy`` random 30-90-minute blocks, spread over
    the days: what the caller derives from meeting hours and calendars."""
    blocks: dict[datetime, list[tuple[datetime, datetime]]] = {d: [] for d in day_starts}
    for _ in range(busy):
        day = rng.choice(day_starts)
        start = day + timedelta(hours=9, minutes=15 * rng.randrange(0, 30))
        blocks[day].append((start, start + timedelta(minutes=rng.choice([30, 60, 90]))))
    free = []
    for day, taken in blocks.items():
        cursor, end = day + timedelta(hours=9), day + timedelta(hours=17)
        for low, high in sorted(taken):
            if low > cursor:
                free.append((cursor, low))
            cursor = max(cursor, high)
        if cursor < end:
            free.append((cursor, end))
    return tuple(free)


def build(pool: int, days: int, busy: int, seed: int = 1) -> Request:
    rng = random.Random(seed)
    day_starts = working_days(days)
    people = {}
    for pk in range(1, pool + 1):
        lean = None if pk % 7 == 0 else rng.gauss(0, 0.3)
        people[pk] = Interviewer(
            pk,
            f"Interviewer {pk}",
            "UTC",
            free_time(day_starts, busy, rng),
            day_limit=2,
            week_limit=5,
            booked={date(2031, 3, 3) + timedelta(days=rng.randrange(10)): 1 for _ in range(2)},
            leniency=lean,
            leniency_se=None if lean is None else rng.uniform(0.05, 0.6),
        )
    everyone = tuple(people)
    slots = (
        Slot("portfolio", "Portfolio case", 90, everyone, buffer_after=15),
        Slot("readout", "Case readout", 45, everyone, after="portfolio", same_day=True),
        Slot("strategy", "Strategy case", 60, everyone, buffer_after=15),
        Slot("execution", "Execution case", 60, everyone),
        Slot("leadership", "Leadership conversation", 45, everyone),
        Slot("hm", "Hiring manager conversation", 45, everyone),
    )
    windows = tuple((d + timedelta(hours=9), d + timedelta(hours=17)) for d in day_starts)
    return Request(slots, people, windows, "UTC", 15, count=5)


def floor() -> float:
    """One trivial model through CP-SAT: the solver's own start-up cost."""
    started = time.perf_counter()
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    model.minimize(x)
    cp_model.CpSolver().solve(model)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", type=int, default=300)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--busy", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    request = build(args.pool, args.days, args.busy)
    floors = [floor() for _ in range(5)]
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = propose(request)
        times.append(time.perf_counter() - started)
    assert len(result.proposals) == request.count, result.problems
    assert all(violations(request, p) == [] for p in result.proposals)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"plan of {len(request.slots)} slots, pool of {args.pool}, {args.days} working days, "
          f"~{args.busy} busy blocks each; top {request.count} proposals")  # fmt: skip
    print(f"propose: median {statistics.median(times):.2f} s over {args.runs} runs "
          f"(min {min(times):.2f}, max {max(times):.2f}); peak memory {peak:.0f} MB")  # fmt: skip
    print(f"floor (one trivial CP-SAT solve, same run): median "
          f"{statistics.median(floors) * 1000:.1f} ms")  # fmt: skip
    best = result.proposals[0]
    for placement in best.placements:
        print(f"  {placement.starts_at:%a %d %b %H:%M} {placement.slot.title}: "
              f"{placement.interviewer.name}")  # fmt: skip
    for reason in best.reasons:
        print(f"  - {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
