"""``manage.py import_outcomes FILE``: HR's outcomes after the hire from a CSV file, all or
nothing (``hiring.outcomes.import_csv``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hiring import outcomes


class Command(BaseCommand):
    help = (
        "Record outcomes after the hire from a CSV file (columns: "
        + ", ".join(outcomes.CSV_COLUMNS)
        + "). A hire is named by its loop id, or by the candidate's e-mail and the "
        "requisition. All or nothing: when any row is bad, nothing is recorded and every bad "
        "row is named with why. History is taken as it is, due or not."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Could not read {path}: {error}") from error
        result = outcomes.import_csv(text, by=None)
        if not result.ok:
            for line, reasons in sorted(result.errors.items()):
                for reason in reasons:
                    self.stderr.write(f"Line {line}: {reason}")
            raise CommandError(
                f"{len(result.errors)} bad row{'s' if len(result.errors) != 1 else ''}: "
                "nothing was imported. Fix them and run the import again."
            )
        self.stdout.write(
            f"Recorded {result.recorded}, revised {result.revised}, unchanged {result.unchanged}."
        )
