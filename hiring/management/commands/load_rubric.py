from django.core.management.base import BaseCommand
from django.db import transaction

from hiring.rubric import load_plans, load_rubric


class Command(BaseCommand):
    help = (
        "Create the shipped role profiles that do not exist yet, and the shipped interview plan "
        "of each profile that has none (existing ones are kept)."
    )

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            created = load_rubric(plans=False)
            planned = load_plans()
        if created:
            self.stdout.write(f"Created role profiles: {', '.join(created)}")
        if planned:
            self.stdout.write(f"Created interview plans for: {', '.join(planned)}")
        if not created and not planned:
            self.stdout.write(
                "Every shipped role profile and interview plan already exists; nothing changed."
            )
