"""Reading locust's figures, the Done-when ratios of issue 14, and what PostgreSQL spent its
time on (pg_stat_statements, with plans)."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEALTHZ = "GET /healthz"
MIX = (  # the locustfile's request names
    "GET kit",
    "GET scorecard form",
    "POST kit autosave",
    "POST scorecard submit",
    "GET /manager/",
    "GET loop summary",
    "GET compare",
    "GET admin loop list",
    "GET admin loop change",
    "GET /api/v1/scorecards/",
    "GET /api/v1/loops/",
)
P95_LIMIT = 10.0  # each endpoint's p95 within 10x the floor's, with think time
THROUGHPUT_SHARE = 0.25  # the mix carries at least a quarter of the floor's requests/s
IDLE_LIMIT = 10.0  # the big pipeline, idle, under 10x the floor's median


@dataclass(frozen=True)
class Endpoint:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


@dataclass(frozen=True)
class Phase:
    title: str
    endpoints: list[Endpoint]
    total: Endpoint
    failures: list[tuple[str, str, int]]  # (name, error, occurrences)

    def get(self, name: str) -> Endpoint | None:
        return next((e for e in self.endpoints if e.name == name), None)


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:  # "N/A" when nothing was recorded
        return float("nan")


def read_phase(title: str, prefix: Path) -> Phase:
    """Locust's ``--csv`` files of one run."""
    endpoints: list[Endpoint] = []
    total: Endpoint | None = None
    with open(f"{prefix}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            endpoint = Endpoint(
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=_number(row["Requests/s"]),
                p50=_number(row["50%"]),
                p95=_number(row["95%"]),
                p99=_number(row["99%"]),
            )
            if row["Name"] == "Aggregated":
                total = endpoint
            else:
                endpoints.append(endpoint)
    assert total is not None, f"no Aggregated row in {prefix}_stats.csv"
    failures: list[tuple[str, str, int]] = []
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with failures_file.open(newline="") as rows:
            failures = [
                (row["Name"], row["Error"], int(row["Occurrences"])) for row in csv.DictReader(rows)
            ]
    return Phase(title, sorted(endpoints, key=lambda e: e.name), total, failures)


def print_phase(phase: Phase) -> None:
    print(f"\n{phase.title}")
    print(f"  {'endpoint':<28} {'requests':>8} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} fail")
    for e in [*phase.endpoints, phase.total]:
        label = "all" if e.name == "Aggregated" else e.name
        print(
            f"  {label:<28} {e.requests:>8} {e.rps:>7.1f} {e.p50:>5.0f}ms {e.p95:>5.0f}ms "
            f"{e.p99:>5.0f}ms {e.failures}"
        )
    for name, error, occurrences in phase.failures:
        print(f"  FAILED {occurrences}x {name}: {error}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_ratios(
    floor: Phase,
    mix: Phase,
    floor_busy: Phase,
    mix_busy: Phase,
    idle: dict[str, list[float]],
) -> bool:
    """The Done-when of issue 14; True when all pass."""
    passed = True
    healthz = floor.get(HEALTHZ)
    assert healthz is not None
    print(
        f"\nDone-when 1: each endpoint's p95 (mix, think time) / /healthz p95 "
        f"({healthz.p95:.0f} ms, alone, think time): target <= {P95_LIMIT:.0f}x"
    )
    for name in sorted(set(MIX) - {e.name for e in mix.endpoints}):
        passed = False
        print(f"  {name:<28} no request finished  FAIL")
    for e in [*mix.endpoints, mix.total]:
        ratio = e.p95 / healthz.p95
        ok = ratio <= P95_LIMIT
        passed = passed and (ok or e.name == "Aggregated")
        label = "all (for reference)" if e.name == "Aggregated" else e.name
        print(f"  {label:<28} p95 {e.p95:>6.0f} ms = {ratio:>6.1f}x  {verdict(ok)}")
    share = mix_busy.total.rps / floor_busy.total.rps
    ok = share >= THROUGHPUT_SHARE
    passed = passed and ok
    print(
        f"\nDone-when 2: the mix's throughput, no think time: {mix_busy.total.rps:.1f} req/s "
        f"= {share:.0%} of /healthz's {floor_busy.total.rps:.1f} req/s "
        f"(target >= {THROUGHPUT_SHARE:.0%})  {verdict(ok)}"
    )
    pipeline, floor_idle = statistics.median(idle["pipeline"]), statistics.median(idle["healthz"])
    ratio = pipeline / floor_idle
    ok = ratio < IDLE_LIMIT
    passed = passed and ok
    print(
        f"\nDone-when 3: the 4,498-loop pipeline, idle: median {pipeline:.0f} ms over "
        f"{len(idle['pipeline'])} requests / /healthz median {floor_idle:.1f} ms over "
        f"{len(idle['healthz'])} = {ratio:.1f}x (target < {IDLE_LIMIT:.0f}x)  {verdict(ok)}"
    )
    return passed


# --- PostgreSQL ------------------------------------------------------------------------------

SLOWEST = """
    SELECT calls, total_exec_time, mean_exec_time, rows, query
    FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND query NOT ILIKE '%pg_stat_statements%'
    ORDER BY total_exec_time DESC
    LIMIT 5
"""
PLAN_LINES = 60


def explain(sql: str, params: Any = None) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    if len(lines) > PLAN_LINES:
        lines = [*lines[:PLAN_LINES], f"... ({len(lines) - PLAN_LINES} more lines)"]
    return "\n".join(f"    {line}" for line in lines)


def print_slowest_statements() -> None:
    """The five statements PostgreSQL spent most time on during the load; the plan of those
    that can be re-run as they are (no ``$n`` parameter: PostgreSQL 15 cannot plan those
    generically, so the pages' own queries are explained from a captured instance below)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SLOWEST)
        rows = cursor.fetchall()
    print("\nThe five statements with the most total time (pg_stat_statements, all phases):")
    for n, (calls, total, mean, returned, query) in enumerate(rows, start=1):
        text = " ".join(query.split())
        more = " ..." if len(text) > 1500 else ""
        print(
            f"\n{n}. {calls} calls, {total / 1000:.1f} s total, {mean:.1f} ms mean, "
            f"{returned} rows\n    {text[:1500]}{more}"
        )
        rerunnable = "$" not in query and text.upper().startswith(("SELECT", "WITH"))
        if rerunnable:
            print(explain(query))
        else:
            print("    (parameterised: see the captured instances below)")


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    session: str | None = None
    token: str | None = None


def print_page_plans(pages: list[Page]) -> None:
    """Each page requested in-process once, its queries captured: count, time, and the plan
    of its slowest query, re-run with its own parameters."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    print("\nThe pages' own queries, captured in-process (one request each, server idle):")
    # This process read the static manifest before collectstatic (run beside the seed) wrote
    # it: read it again, as a freshly started server does.
    storage: Any = staticfiles_storage
    if hasattr(storage, "load_manifest"):
        storage.hashed_files, storage.manifest_hash = storage.load_manifest()
    for page in pages:
        client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
        if page.session is not None:
            client.cookies["sessionid"] = page.session
        headers = {"Authorization": f"Bearer {page.token}"} if page.token else {}
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.path, secure=True, headers=headers)
        queries = captured.captured_queries
        total = sum(float(q["time"]) for q in queries) * 1000
        print(
            f"\n{page.label} ({page.path}): HTTP {response.status_code}, "
            f"{len(response.content):,} bytes, {len(queries)} queries, {total:.0f} ms in SQL"
        )
        selects = [q for q in queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
        if not selects:
            continue
        slowest = max(selects, key=lambda q: float(q["time"]))
        text = " ".join(slowest["sql"].split())
        print(
            f"  slowest: {float(slowest['time']) * 1000:.0f} ms: {text[:1200]}"
            f"{' ...' if len(text) > 1200 else ''}"
        )
        print(explain(slowest["sql"]))
