"""A backup is only as good as its restore: seed the demo (scorecards, decisions, the audit
trail, uploaded documents), back it up with scripts/backup.sh (real pg_dump, custom format,
plus the media tarball), restore it with scripts/restore.sh (real pg_restore) into a fresh
database and an empty media folder, and find every table's rows and every file the same."""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from scorecards.demo import seed_demo

ROOT = Path(__file__).resolve().parents[2]


def url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{name}"


def tables(database_url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its rows' content, in a stable order."""
    with psycopg.connect(database_url) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'public' and table_type = 'BASE TABLE' order by 1"
            )
        ]
        result = {}
        for name in names:
            count, digest = conn.execute(
                f"select count(*), md5(coalesce(string_agg(t::text, E'\\n' order by t::text), ''))"
                f' from "{name}" t'
            ).fetchone()
            result[name] = (count, digest)
        return result


def files(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def fresh_database() -> Iterator[str]:
    name = f"loopwise_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')


def run(script: str, *args: str, database_url: str, media: Path) -> str:
    env = os.environ | {"DATABASE_URL": database_url, "MEDIA_ROOT": str(media)}
    result = subprocess.run(
        ["bash", f"scripts/{script}", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restored_into_a_fresh_database_has_the_same_data_and_files(
    settings, tmp_path, fresh_database
):
    if connection.vendor != "postgresql":
        pytest.skip("backups are of PostgreSQL")
    # given the demo, committed, with its uploaded documents in MEDIA_ROOT
    settings.MEDIA_ROOT = str(tmp_path / "media")
    assert seed_demo()
    source = url(connection.settings_dict["NAME"])
    before = tables(source)
    for table in ("scorecards_scorecard", "hiring_decision", "hiring_auditevent"):
        assert before[table][0] > 0, table  # there is something to lose
    uploads = files(tmp_path / "media")
    assert uploads

    # when it is backed up and restored into a fresh database and an empty media folder
    folder = tmp_path / "backup"
    run("backup.sh", str(folder), database_url=source, media=tmp_path / "media")
    assert (folder / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    restored_media = tmp_path / "restored-media"
    run("restore.sh", str(folder), database_url=url(fresh_database), media=restored_media)

    # then every table has the same rows, scorecards, decisions and audit trail included
    after = tables(url(fresh_database))
    assert after == before
    assert files(restored_media) == uploads
    print(
        "restored: "
        + ", ".join(
            f"{table} {after[table][0]}"
            for table in ("scorecards_scorecard", "hiring_decision", "hiring_auditevent")
        )
        + f", {len(after)} tables, {len(uploads)} files, all identical"
    )

    # and restoring over a database that has data is refused
    env = os.environ | {"DATABASE_URL": url(fresh_database), "MEDIA_ROOT": str(restored_media)}
    again = subprocess.run(
        ["bash", "scripts/restore.sh", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1
    assert "restore into an empty one" in again.stderr
