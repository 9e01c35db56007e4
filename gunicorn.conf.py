"""Gunicorn's settings for Loopwise's web process, read from the working directory by every
``gunicorn`` command (the image's, docker-compose's) without a ``--config``.

Metrics across worker processes: each worker counts its own requests, so prometheus_client's
multiprocess mode keeps the counts in files under ``PROMETHEUS_MULTIPROC_DIR`` and
``/metrics`` adds every worker's up (``config.metrics``). When the variable is not set, a
fresh temporary directory is made for this server (and removed when it exits); when it is,
the files a previous server left there are removed at start. It must be set before a worker
imports prometheus_client: here, in the master, before any worker is forked.

Each worker warms up (``config.warmup``) before it accepts its first request.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

# gunicorn's control socket (on by default since 25.1) lives at one path per user, shared by
# every server on the host (two servers on one machine would fight over it); Loopwise does not
# use it. `--control-socket PATH` on the command line still turns it on where wanted.
control_socket_disable = True

_made_here = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _made_here:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="loopwise-metrics-")


def on_starting(server: Any) -> None:
    """A new server's counts start at zero: a previous run's files would add to them."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def post_worker_init(worker: Any) -> None:
    """Each worker imports every view and compiles every template before its first request,
    so no user pays for them on a freshly started worker, then freezes what it holds out of
    the garbage collector's full collections (``config.warmup``)."""
    from config.warmup import freeze, warm_up

    warmed = warm_up()
    frozen = freeze()
    worker.log.info(
        "worker %s warmed up: %d URL names, %d templates in %.2f s; %d objects frozen",
        worker.pid,
        warmed.url_names,
        warmed.templates,
        warmed.seconds,
        frozen,
    )


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exited keeps its counters in the total; its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """The directory made for this server goes with it; one given is left for the next."""
    if _made_here:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
