"""A web worker's start-up work, done before its first request instead of during it.

Django imports the views (through the URL configuration) and compiles each template on
first use, so the first request of each page on a freshly started worker paid for them:
0.25-0.4 s on this machine, against 15-60 ms once warm (``bench/cold_start.py``). With a
worker per core restarted on every deploy, those were the slowest requests users saw.
gunicorn's ``post_worker_init`` hook (``gunicorn.conf.py``) calls :func:`warm_up` after the
application is loaded and before the worker accepts a connection.

Then :func:`freeze` moves everything alive at that point (some 250,000 objects: modules,
URL patterns, compiled templates) out of the garbage collector's reach. Python's full
collections walk every tracked object: about 140 ms per collection on this machine, every 40
or so requests, landing on whichever request was running (the slow tail of every page under
load); with the start-up objects frozen they walk only what requests left behind (about
25 ms). The frozen objects are the ones a worker keeps until it exits anyway.

Nothing here touches the database or the broker: a worker must start while either is down.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.template import TemplateSyntaxError, engines
from django.urls import get_resolver

logger = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt")


@dataclass
class Warmed:
    """What :func:`warm_up` did: URL patterns loaded, templates compiled, seconds taken, and
    the templates that did not compile (a third-party template for an app Loopwise does not
    install is skipped; one of Loopwise's own is an error)."""

    url_names: int = 0
    templates: int = 0
    seconds: float = 0.0
    failed: dict[str, str] = field(default_factory=dict)


def warm_up() -> Warmed:
    """Import every view and compile every template into the cached loader."""
    started = time.perf_counter()
    warmed = Warmed()
    resolver = get_resolver()
    # Reading the reverse table imports every included URL module (so every view) and
    # builds what `reverse()` and `{% url %}` look names up in.
    warmed.url_names = len(resolver.reverse_dict) + sum(
        len(namespace.reverse_dict) for _, namespace in resolver.namespace_dict.values()
    )
    for engine in engines.all():
        for directory in engine.template_dirs:
            root = Path(directory)
            for path in sorted(root.rglob("*")):
                if path.suffix not in TEMPLATE_SUFFIXES or not path.is_file():
                    continue
                name = path.relative_to(root).as_posix()
                try:
                    engine.get_template(name)
                except TemplateSyntaxError as error:
                    if _is_ours(path):
                        warmed.failed[name] = str(error)
                        logger.error("template %s does not compile: %s", name, error)
                    continue
                warmed.templates += 1
    warmed.seconds = time.perf_counter() - started
    return warmed


def _is_ours(path: Path) -> bool:
    base = Path(settings.BASE_DIR).resolve()
    resolved = path.resolve()
    return resolved.is_relative_to(base) and ".venv" not in resolved.relative_to(base).parts


def freeze() -> int:
    """Collect what start-up left as garbage, then freeze every object still alive (see the
    module's docstring); how many are frozen now."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
