"""Chasing feedback (DESIGN §3.4): ``sweep`` turns due reminders, escalations, digests and
ready-for-debrief notices into notification rows; ``emails`` renders them when they are
sent (importing it registers the renderers)."""
