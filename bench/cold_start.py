"""The first request of each page on a freshly started web worker, with and without the
worker's warm-up (``config.warmup``, gunicorn's ``post_worker_init``), beside the same page
once warm and ``/healthz`` (the floor) measured the same way in the same run; and what a
full garbage collection costs a warmed-up worker before and after ``config.warmup.freeze``.

It migrates and seeds the demo into a throwaway SQLite database, then for each page and
each mode starts ``--runs`` fresh Python processes; each sets Django up (as a gunicorn
worker loading the application does), warms up or not, then times three requests of that
page in a row with Django's test client (the page's user signed in). The warm-up's own
time is printed too: it is paid once per worker, at start, by no user.

    .venv/bin/python bench/cold_start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name: (username or "" for anonymous, path; "{loop}"/"{interview}" filled from the demo)
PAGES = {
    "/healthz (floor)": ("", "/healthz"),
    "home": ("iris", "/"),
    "interview kit": ("iris", "/interviews/{interview}/kit/"),
    "/manager/ pipeline": ("manager", "/manager/"),
    "loop summary": ("manager", "/manager/loops/{loop}/"),
    "admin loop list": ("recruiter", "/admin/hiring/loop/"),
    "admin loop change": ("recruiter", "/admin/hiring/loop/{loop}/change/"),
    "API /loops/": ("recruiter", "/api/v1/loops/"),
}

CHILD = r"""
import json, sys, time
started = time.perf_counter()
import django
django.setup()
setup = time.perf_counter() - started
username, path, warm = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
warm_seconds = None
if warm:
    from config.warmup import warm_up
    warm_seconds = warm_up().seconds
from django.test import Client
from hiring.models import Interview, Loop, User
client = Client(HTTP_X_FORWARDED_PROTO="https")
interview = None
if username:
    user = User.objects.get(username=username)
    client.force_login(user)
    from signin.two_factor import STEP_KEY  # the demo's staff use an authenticator app
    session = client.session
    session.pop(STEP_KEY, None)
    session.save()
    interview = Interview.objects.filter(interviewers=user).order_by("pk").first()
loop = Loop.objects.filter(summary__isnull=False).order_by("pk").first()
path = path.format(loop=loop.pk, interview=interview.pk if interview else 0)
times = []
for _ in range(3):
    t = time.perf_counter()
    response = client.get(path)
    times.append((time.perf_counter() - t) * 1000)
    assert response.status_code == 200, (path, response.status_code)
print(json.dumps({"times": times, "warm_up": warm_seconds, "setup": setup}))
"""


GC_CHILD = r"""
import gc, json, statistics, sys, time
import django
django.setup()
from config.warmup import freeze, warm_up
warm_up()
from django.test import Client
from hiring.models import Loop, User
client = Client(HTTP_X_FORWARDED_PROTO="https")
client.force_login(User.objects.get(username="manager"))
loop = Loop.objects.filter(summary__isnull=False).order_by("pk").first()
for path in ("/manager/", f"/manager/loops/{loop.pk}/", "/api/v1/loops/"):
    client.get(path)

def full_collections() -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)

before = full_collections()
frozen = freeze()
for path in ("/manager/", f"/manager/loops/{loop.pk}/", "/api/v1/loops/"):
    client.get(path)
print(json.dumps({"before": before, "after": full_collections(), "frozen": frozen}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per page and mode")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="loopwise-cold-start."))
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{work / 'loopwise.sqlite3'}",
        "LOOPWISE_VAR_DIR": str(work),
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    python = str(ROOT / ".venv" / "bin" / "python")
    started = time.perf_counter()
    for command in (["migrate", "-v", "0"], ["seed_demo"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
    print(f"demo seeded into SQLite in {time.perf_counter() - started:.1f} s; "
          f"{args.runs} fresh process(es) per page and mode\n")  # fmt: skip
    print("| page | first request, cold | first request, warmed up | warm (3rd request) |")
    print("|---|---|---|---|")
    warm_ups: list[float] = []
    for name, (username, path) in PAGES.items():
        firsts: dict[bool, list[float]] = {False: [], True: []}
        steady: list[float] = []
        for _ in range(args.runs):
            for warm in (False, True):
                out = subprocess.run(
                    [python, "-c", CHILD, username, path, "1" if warm else "0"],
                    cwd=ROOT, env=env, capture_output=True, text=True,
                )  # fmt: skip
                if out.returncode:
                    raise SystemExit(f"{name}: {out.stderr[-2000:]}")
                result = json.loads(out.stdout.strip().splitlines()[-1])
                firsts[warm].append(result["times"][0])
                steady.append(result["times"][2])
                if warm:
                    warm_ups.append(result["warm_up"])
        cold, warmed = statistics.median(firsts[False]), statistics.median(firsts[True])
        print(f"| {name} | {cold:.0f} ms | {warmed:.0f} ms | {statistics.median(steady):.0f} ms |")
    gc_out = subprocess.run(
        [python, "-c", GC_CHILD], cwd=ROOT, env=env, capture_output=True, text=True
    )  # fmt: skip
    if gc_out.returncode:
        raise SystemExit(f"gc: {gc_out.stderr[-2000:]}")
    collections = json.loads(gc_out.stdout.strip().splitlines()[-1])
    print(f"\na full garbage collection in a warmed-up worker (median of 5): "
          f"{collections['before']:.1f} ms; after freezing the {collections['frozen']:,} objects "
          f"alive then: {collections['after']:.1f} ms")  # fmt: skip
    print(f"\nthe warm-up itself, once per worker before its first request: median "
          f"{statistics.median(warm_ups) * 1000:.0f} ms (min {min(warm_ups) * 1000:.0f}, "
          f"max {max(warm_ups) * 1000:.0f}); the whole run took "
          f"{time.perf_counter() - started:.0f} s; load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
