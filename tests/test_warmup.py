"""A web worker imports its views and compiles its templates before its first request
(``config.warmup``, called by gunicorn's ``post_worker_init``), so the first user of each page
on a freshly started worker does not wait for them."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader

from config.warmup import TEMPLATE_SUFFIXES, _is_ours, warm_up
from tests.celery_worker import wait_for, worker_environment
from tests.reliability.conftest import free_port

ROOT = Path(settings.BASE_DIR)


def _cached_loader() -> CachedLoader:
    [loader] = engines["django"].engine.template_loaders
    assert isinstance(loader, CachedLoader)
    return loader


def _our_templates() -> set[str]:
    names = set()
    for directory in engines["django"].template_dirs:
        root = Path(directory)
        for path in root.rglob("*"):
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file() and _is_ours(path):
                names.add(path.relative_to(root).as_posix())
    return names


def test_warm_up_compiles_every_template_of_loopwise_into_the_cached_loader() -> None:
    loader = _cached_loader()
    loader.reset()
    assert "scorecards/manager/pipeline.html" not in loader.get_template_cache

    warmed = warm_up()

    ours = _our_templates()
    assert len(ours) > 50  # the pages, e-mails and admin overrides of every app
    assert warmed.failed == {}
    assert ours <= set(loader.get_template_cache)
    assert warmed.templates >= len(ours)
    # the admin's own pages, which recruiters work in, are compiled too
    assert "admin/change_form.html" in loader.get_template_cache
    assert warmed.url_names > 100


def test_a_template_of_ours_that_does_not_compile_is_named(tmp_path: Path) -> None:
    broken = ROOT / "config" / "templates" / "_warmup_broken_for_test.html"
    broken.write_text("{% if %}")
    try:
        _cached_loader().reset()
        warmed = warm_up()
    finally:
        broken.unlink()
        _cached_loader().reset()
    assert list(warmed.failed) == ["_warmup_broken_for_test.html"]
    assert "if" in warmed.failed["_warmup_broken_for_test.html"]


@pytest.mark.django_db
def test_each_gunicorn_worker_warms_up_before_it_takes_a_request(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60",
        "--no-control-socket",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=worker_environment(), stdout=out, stderr=out
        )
    try:
        wait_for(lambda: log.read_text().count("warmed up") == 2, timeout=60)
        lines = [line for line in log.read_text().splitlines() if "warmed up" in line]
        for line in lines:
            counts = re.search(
                r"warmed up: (\d+) URL names, (\d+) templates in [\d.]+ s; (\d+) objects frozen",
                line,
            )
            assert counts, line
            assert int(counts[1]) > 100, line
            assert int(counts[2]) > 100, line
            assert int(counts[3]) > 50_000, line  # Django, the project and its templates
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=20) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in log.read_text()
