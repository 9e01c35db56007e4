"""The admin, the recruiter's workplace (DESIGN §1): one module per job, and the admins of the
wings (delivery, privacy) registered from their own packages. Every class asks
``hiring.access`` (see ``base.PolicyAdmin``)."""

from hiring.admin import calendars, loops, people, requisitions, rubric, scheduling
from hiring.delivery import notifications_admin, webhooks_admin
from hiring.privacy import admin as privacy_admin

__all__ = [
    "calendars",
    "loops",
    "notifications_admin",
    "people",
    "privacy_admin",
    "requisitions",
    "rubric",
    "scheduling",
    "webhooks_admin",
]
