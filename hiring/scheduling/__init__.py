"""Scheduling a loop: ``conflicts`` (pure checks: double bookings, overlaps, uncovered
dimensions), ``calendar`` (iCalendar files) and ``invites`` (the invite, update, cancel and
nudge e-mails)."""
