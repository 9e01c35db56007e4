"""Load a real company's tenant the way its people do, beside the floor of the same server.

One command (issue 14):

1. starts a throwaway PostgreSQL 15 (with pg_stat_statements; JIT off as the README advises
   for production, ``--jit`` to leave it on) and Redis on ports 54361/63861, migrates (which
   loads the rubric), seeds the tenant with COPY (``bench/load/seed.py``: 10,000 loops,
   50,000 interviews, ~40,000 submitted scorecards, ~400,000 ratings, a hiring manager of 20
   requisitions and 4,498 loops, a recruiter of 30), then computes every loop's summary with
   the product's code (refit, the nightly refresh, then the loops it leaves) and makes the
   sessions and API tokens the load signs in with;
2. serves it with gunicorn (production settings, 4 sync workers, loopback) and one Celery
   worker;
3. runs locust headless (``bench/load/locustfile.py``), each phase ``--seconds`` long:
   a. ``/healthz`` alone, 20 users, 1-3 s think time;  b. the mix, 20 users, 1-3 s;
   c. ``/healthz`` alone, no think time;                d. the mix, no think time;
   e. idle: the 4,498-loop pipeline, then ``/healthz``, requested one after another;
4. prints each phase per endpoint (requests, req/s, p50/p95/p99, failures), the Done-when
   ratios with PASS/FAIL, the five statements PostgreSQL spent most time on with their plans,
   and each page's queries captured in-process with the plan of its slowest;
5. stops everything it started, also on Ctrl-C or an error.

    .venv/bin/python bench/load_benchmark.py [--seconds 60] [--idle-requests 10] [--jit] [--keep]
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import report  # noqa: E402
from bench.services import running  # noqa: E402

PG_PORT, REDIS_PORT = "54361", "63861"
USERS = 20
WEB_WORKERS = 4
BIN = ROOT / ".venv" / "bin"
HTTPS = {"X-Forwarded-Proto": "https"}  # as from the TLS proxy production settings expect


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of each locust phase")
    parser.add_argument(
        "--idle-requests", type=int, default=10, help="sequential requests of each idle page"
    )
    parser.add_argument(
        "--jit", action="store_true", help="leave PostgreSQL's JIT on (its default)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the servers' logs and locust's CSV files"
    )
    return parser.parse_args()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops it like Ctrl-C: every `finally` runs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_environment(work: Path) -> None:
    """What config.settings.production needs, for this process and the servers alike."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        STATIC_ROOT=str(work / "static"),
        LOOPWISE_VAR_DIR=str(work / "var"),
        LOG_LEVEL="WARNING",
    )


# --- processes -----------------------------------------------------------------------------


class Servers:
    """gunicorn and the Celery worker, each in a process group of its own, so that stopping
    one stops its children too and a Ctrl-C at the terminal reaches only this script."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str]) -> None:
        log = (self.work / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((name, process))

    def stop(self) -> None:
        for _, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in 30 s: killed")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def log(self, name: str) -> str:
        return (self.work / f"{name}.log").read_text(errors="replace")


@contextmanager
def serving(work: Path, port: int) -> Iterator[Servers]:
    servers = Servers(work)
    try:
        servers.start(
            "gunicorn",
            [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(WEB_WORKERS)],
        )  # fmt: skip
        servers.start(
            "worker",
            [str(BIN / "celery"), "-A", "config", "worker", "--loglevel=WARNING",
             "--concurrency=2"],
        )  # fmt: skip
        yield servers
    finally:
        servers.stop()


def get(url: str, *, session: str | None = None) -> tuple[int, float]:
    """Status and milliseconds of one GET, as a signed-in browser behind the proxy."""
    headers = dict(HTTPS)
    if session:
        headers["Cookie"] = f"sessionid={session}"
    request = urllib.request.Request(url, headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, (time.perf_counter() - started) * 1000


def wait_healthy(base: str, servers: Servers) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for name, process in servers.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{servers.log(name)[-3000:]}")
        try:
            if get(f"{base}/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer /healthz within 90 s")


def locust(
    work: Path,
    base: str,
    data: Path,
    phase: str,
    users: list[str],
    think: bool,
    seconds: int,
    seats: str,
) -> Path:
    prefix = work / f"phase_{phase}"
    env = os.environ | {
        "LOOPWISE_LOAD_DATA": str(data),
        "LOOPWISE_LOAD_THINK": "1" if think else "0",
        "LOOPWISE_LOAD_SEATS": seats,
    }
    command = [
        str(BIN / "locust"), "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless",
        "--users", str(USERS), "--spawn-rate", str(USERS), "--run-time", f"{seconds}s",
        "--host", base, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
        *users,
    ]  # fmt: skip
    with (work / f"locust_{phase}.log").open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            process.wait(timeout=seconds + 120)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
    if not Path(f"{prefix}_stats.csv").exists():
        raise RuntimeError(f"locust wrote no stats:\n{(work / f'locust_{phase}.log').read_text()}")
    return prefix


# --- steps ---------------------------------------------------------------------------------


def collect_static(work: Path) -> subprocess.Popen[bytes]:
    """Production serves hashed, compressed static files: collect them (a couple of minutes
    on a busy machine) in the background while the tenant is seeded."""
    log = (work / "collectstatic.log").open("wb")
    return subprocess.Popen(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def prepare(work: Path) -> dict[str, Any]:
    import json

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.load import prepare, seed

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    tenant = seed.seed(timezone.now())
    print(f"seeded with COPY in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{v:,} {k}" for k, v in tenant.counts.items()))  # fmt: skip
    started = time.perf_counter()
    took = prepare.compute_summaries()
    print(f"summaries computed in {time.perf_counter() - started:.1f} s: "
          + "; ".join(f"{k} {v:.1f} s" for k, v in took.items()))  # fmt: skip
    data = prepare.load_data(tenant)
    (work / "load.json").write_text(json.dumps(data))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    # The seed's summaries nudged the outbox once per loop (delivered above): the worker
    # starts on an empty queue.
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    connection.close()
    return data


def warm_up(base: str, data: dict[str, Any]) -> None:
    """Each gunicorn worker imports its views lazily: one request per page before timing."""
    manager, recruiter = data["manager"], data["recruiter"]
    pages = [
        ("/manager/", manager["session"]),
        (f"/manager/loops/{manager['loops'][0]}/", manager["session"]),
        (f"/manager/requisitions/{manager['requisitions'][1]}/compare/", manager["session"]),
        ("/admin/hiring/loop/", recruiter["session"]),
        (f"/admin/hiring/loop/{recruiter['loops'][0]}/change/", recruiter["session"]),
    ]
    for _ in range(WEB_WORKERS):
        get(f"{base}/healthz")
    for path, session in pages:
        status, ms = get(f"{base}{path}", session=session)
        print(f"  warm-up {path}: HTTP {status} in {ms:.0f} ms")


def idle(base: str, data: dict[str, Any], n: int) -> dict[str, list[float]]:
    session = data["manager"]["session"]
    times: dict[str, list[float]] = {"pipeline": [], "healthz": []}
    for _ in range(n):
        status, ms = get(f"{base}/manager/", session=session)
        if status != 200:
            print(f"  idle /manager/: HTTP {status}")
        times["pipeline"].append(ms)
    for _ in range(n * 5):
        times["healthz"].append(get(f"{base}/healthz")[1])
    print(f"\ne. idle, one request at a time: /manager/ (4,498 loops) median "
          f"{statistics.median(times['pipeline']):.0f} ms (min {min(times['pipeline']):.0f}, "
          f"max {max(times['pipeline']):.0f}) over {n}; /healthz median "
          f"{statistics.median(times['healthz']):.1f} ms over {n * 5}")  # fmt: skip
    return times


def server_errors(servers: Servers) -> None:
    """Tracebacks the servers logged (a 500 is logged by django.request at ERROR)."""
    for name in ("gunicorn", "worker"):
        lines = servers.log(name).splitlines()
        errors = [line for line in lines if " ERROR " in line or "Error:" in line]
        if errors:
            print(f"\n{name} logged {len(errors)} error line(s); the last ones:")
            for line in errors[-10:]:
                print(f"  {line[:300]}")


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), load average {load}; PostgreSQL {version} "
        f"(jit {jit}, fsync off), gunicorn {WEB_WORKERS} sync workers, production settings"
    )


def measure(args: argparse.Namespace, work: Path, data: dict[str, Any]) -> bool:
    from django.db import connection

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mix = ["Interviewer", "Manager", "Recruiter", "ApiClient"]
    data_file = work / "load.json"
    with serving(work, port) as servers:
        wait_healthy(base, servers)
        warm_up(base, data)
        print(f"\nmachine: {machine()}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_statements_reset()")
        phases = {}
        plan = [
            ("a", "a. /healthz alone, 20 users, 1-3 s think time", ["HealthzUser"], True, "0/1"),
            ("b", "b. the mix, 20 users, 1-3 s think time", mix, True, "0/2"),
            ("c", "c. /healthz alone, 20 users, no think time", ["HealthzUser"], False, "0/1"),
            ("d", "d. the mix, 20 users, no think time", mix, False, "1/2"),
        ]
        for key, title, users, think, seats in plan:
            print(f"\nrunning {title} for {args.seconds} s ...", flush=True)
            prefix = locust(work, base, data_file, key, users, think, args.seconds, seats)
            phases[key] = report.read_phase(title, prefix)
            report.print_phase(phases[key])
        idle_times = idle(base, data, args.idle_requests)
        passed = report.print_ratios(phases["a"], phases["b"], phases["c"], phases["d"], idle_times)
        server_errors(servers)
    report.print_slowest_statements()
    manager, recruiter, token = data["manager"], data["recruiter"], data["tokens"][0]
    report.print_page_plans(
        [
            report.Page("pipeline, 4,498 loops", "/manager/", session=manager["session"]),
            report.Page(
                "compare, 1,000 loops",
                f"/manager/requisitions/{manager['big_requisition']}/compare/",
                session=manager["session"],
            ),
            report.Page(
                "loop summary", f"/manager/loops/{manager['loops'][0]}/", session=manager["session"]
            ),
            report.Page(
                "admin loop change",
                f"/admin/hiring/loop/{recruiter['loops'][0]}/change/",
                session=recruiter["session"],
            ),
            report.Page("API scorecards (recruiter0's token)", "/api/v1/scorecards/", token=token),
            report.Page("API loops (recruiter0's token)", "/api/v1/loops/", token=token),
        ]
    )
    return passed


def main() -> int:
    args = arguments()
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.perf_counter()
    options = "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top"
    os.environ["LOOPWISE_PG_OPTIONS"] = options + ("" if args.jit else " -c jit=off")
    work = Path(tempfile.mkdtemp(prefix="loopwise-load-run."))
    try:
        with running(PG_PORT, REDIS_PORT, prefix="loopwise-load."):
            production_environment(work)
            import django

            django.setup()
            collecting = collect_static(work)
            try:
                data = prepare(work)
                started_waiting = time.perf_counter()
                if collecting.wait() != 0:
                    raise RuntimeError((work / "collectstatic.log").read_text())
                waited = time.perf_counter() - started_waiting
                print(f"collectstatic (in the background) done; waited {waited:.0f} s for it")
            finally:
                if collecting.poll() is None:
                    os.killpg(collecting.pid, signal.SIGTERM)
                    collecting.wait()
            passed = measure(args, work, data)
    finally:
        if args.keep:
            print(f"logs and locust's CSV files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nall Done-when checks: {report.verdict(passed)}; "
          f"the benchmark took {time.perf_counter() - started:.0f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
