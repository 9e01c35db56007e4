"""Outcomes after the hire (issue 18): recording them (the hiring manager, or HR through the
API and a CSV import), audited as the personal data they are."""
