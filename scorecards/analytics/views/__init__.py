"""The insight pages, their CSV exports and SVG charts (``scorecards.manager.charts`` style)."""
