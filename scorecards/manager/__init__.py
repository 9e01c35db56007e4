"""The hiring manager's pages (DESIGN §1): ``views`` (pipeline, loop summary, compare,
decisions), ``selectors`` (their reads) and ``charts`` (the SVG charts)."""
