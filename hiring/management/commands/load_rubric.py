from django.core.management.base import BaseCommand
from django.db import transaction

from hiring.rubric import load_rubric


class Command(BaseCommand):
    help = "Create the shipped role profiles that do not exist yet (existing ones are kept)."

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            created = load_rubric()
        if created:
            self.stdout.write(f"Created role profiles: {', '.join(created)}")
        else:
            self.stdout.write("Every shipped role profile already exists; nothing changed.")
