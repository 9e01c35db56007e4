"""Rows for export_summaries and export_interviewers (DESIGN §9). Both recompute first.

In CSV, text that a spreadsheet would run as a formula (a requisition titled ``=HYPERLINK(…)``,
an e-mail starting with ``-``) is written behind a quote (``hiring.spreadsheets``); numbers,
a negative leniency included, are written as they are. JSON is written as it is."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any, Protocol

from hiring.models import Loop
from hiring.spreadsheets import safe_cell
from scorecards.calibration import summaries
from scorecards.models import InterviewerCalibration, LoopSummary

SUMMARY_COLUMNS = (
    "candidate_email",
    "requisition",
    "scorecards",
    "raw_score",
    "calibrated_score",
    "calibrated_low",
    "calibrated_high",
    "recommendation",
    "needs_debrief",
    "reasons",
)
INTERVIEWER_COLUMNS = ("interviewer_email", "ratings", "leniency")


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def summary_rows(*, requisition: str | None = None) -> list[dict[str, Any]]:
    summaries.calibration_refit()
    loops = Loop.objects.select_related("candidate", "requisition").order_by(
        "requisition__title", "candidate__email"
    )
    if requisition is not None:
        loops = loops.filter(requisition__title=requisition)
    rows = []
    for loop in loops:
        summary: LoopSummary = summaries.loop_summary_compute(loop_id=loop.pk)
        rows.append(
            {
                "candidate_email": loop.candidate.email,
                "requisition": loop.requisition.title,
                "scorecards": summary.scorecards_in,
                "raw_score": _round(summary.raw_score),
                "calibrated_score": _round(summary.calibrated_score),
                "calibrated_low": _round(summary.calibrated_low),
                "calibrated_high": _round(summary.calibrated_high),
                "recommendation": summary.recommendation,
                "needs_debrief": summary.needs_debrief,
                "reasons": summary.reason_codes,
            }
        )
    return rows


def interviewer_rows() -> list[dict[str, Any]]:
    summaries.calibration_refit()
    return [
        {
            "interviewer_email": c.interviewer.email,
            "ratings": c.ratings,
            "leniency": round(c.leniency, 3),
        }
        for c in InterviewerCalibration.objects.select_related("interviewer").order_by(
            "interviewer__email"
        )
    ]


def write(rows: list[dict[str, Any]], columns: Sequence[str], fmt: str, out: Writable) -> None:
    if fmt == "json":
        json.dump(rows, out, indent=2)
        out.write("\n")
        return
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = dict(row)
        if isinstance(flat.get("reasons"), list):
            flat["reasons"] = ";".join(flat["reasons"])
        if isinstance(flat.get("needs_debrief"), bool):
            flat["needs_debrief"] = "true" if flat["needs_debrief"] else "false"
        writer.writerow({column: safe_cell(value) for column, value in flat.items()})
