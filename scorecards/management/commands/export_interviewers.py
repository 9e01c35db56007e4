from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from scorecards.exports import INTERVIEWER_COLUMNS, interviewer_rows, write


class Command(BaseCommand):
    help = "One row per interviewer: ratings and fitted leniency (positive = lenient)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        write(interviewer_rows(), INTERVIEWER_COLUMNS, options["format"], self.stdout)
