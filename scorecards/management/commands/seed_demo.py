from django.core.management.base import BaseCommand

from scorecards.demo import (
    ADMIN,
    DEMO_PASSWORD,
    HIRING_MANAGER,
    INTERVIEWERS,
    RECRUITER,
    demo_booking_link,
    seed_demo,
)


class Command(BaseCommand):
    help = "Create the demo data set (idempotent: does nothing if it exists)."

    def handle(self, *args: object, **options: object) -> None:
        if seed_demo():
            self.stdout.write("Demo data created.")
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(f"  admin           {ADMIN.username}")
        self.stdout.write(f"  recruiter       {RECRUITER.username}  (Django admin)")
        self.stdout.write(f"  hiring manager  {HIRING_MANAGER.username}")
        names = ", ".join(person.username for person in INTERVIEWERS)
        self.stdout.write(f"  interviewers    {names}")
        link = demo_booking_link()
        if link:
            self.stdout.write("A candidate's booking link (no sign-in; Sourced Candidate 01):")
            self.stdout.write(f"  {link}")
