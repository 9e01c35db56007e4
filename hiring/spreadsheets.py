"""Text cells that a spreadsheet will not run as formulas (CSV injection).

Excel, LibreOffice and Google Sheets read a cell that starts with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return before one) as a formula: a candidate named
``=HYPERLINK("http://x","y")`` becomes a link, ``-1+cmd|' /C calc'!A0`` a command. Every CSV
export prefixes such text with a single quote, as OWASP recommends; spreadsheets show the text
as it was typed. Only text is escaped: a number (a leniency of -0.23) is written as it is.

The candidate CSV goes back into Loopwise too, so its import takes the quote off again.
"""

from __future__ import annotations

from typing import TypeVar

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """``value`` with a leading quote when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_cell(value: T) -> T | str:
    """Undo ``safe_cell``: a re-imported export keeps the text that was exported."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
