from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hiring.models import Requisition
from scorecards.exports import SUMMARY_COLUMNS, summary_rows, write


class Command(BaseCommand):
    help = "One row per loop: raw and calibrated scores, recommendation and reasons."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requisition", metavar="TITLE")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        title = options["requisition"]
        if title is not None and not Requisition.objects.filter(title=title).exists():
            raise CommandError(f"No requisition titled {title!r}.")
        write(summary_rows(requisition=title), SUMMARY_COLUMNS, options["format"], self.stdout)
