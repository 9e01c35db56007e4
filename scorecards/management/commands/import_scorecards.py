from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from scorecards.importer import ImportRejected, import_scorecards


class Command(BaseCommand):
    help = "Import historical scorecards from CSV (all or nothing; importing twice is a no-op)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        with path.open(newline="", encoding="utf-8-sig") as stream:
            try:
                result = import_scorecards(stream)
            except ImportRejected as rejected:
                for error in rejected.errors:
                    self.stderr.write(error)
                raise CommandError(
                    f"{len(rejected.errors)} bad row(s) in {path}: nothing was imported."
                ) from None
        self.stdout.write(
            f"Imported {result.scorecards_created} scorecard(s) with {result.ratings} rating(s); "
            f"{result.scorecards_skipped} already imported."
        )
