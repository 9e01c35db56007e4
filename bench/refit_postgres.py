"""Time the nightly refit fed from PostgreSQL: 1,000,000 ratings, 20,000 loops, 2,000
interviewers (issue target: under 10 s and under 1 GB on this 2-core machine).

Starts its own throwaway PostgreSQL and Redis (scripts/services.sh on ports 54341/63841),
migrates, seeds the rows with INSERT ... SELECT generate_series (20,000 loops x 5 interviews x
10 dimensions, each interviewer with a hidden leniency), then runs
``scorecards.calibration.summaries.calibration_refit()`` exactly as the nightly task does and
reports
the time, the peak resident memory of the process and how well the fitted leniencies match
the hidden ones. Stops the services at the end, even on failure.

    .venv/bin/python bench/refit_postgres.py
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.services import running  # noqa: E402

PG_PORT, REDIS_PORT = "54341", "63841"
LOOPS, PANEL, INTERVIEWERS = 20_000, 5, 2_000

SEED_SQL = """
-- interviewers with a hidden leniency in (-0.6, 0.6), candidates with a hidden ability
CREATE TEMP TABLE truth_interviewer AS
  SELECT g AS n, (random() - 0.5) * 1.2 AS leniency FROM generate_series(1, {interviewers}) g;
INSERT INTO hiring_user (password, is_superuser, username, first_name, last_name, email,
                         is_staff, is_active, date_joined, time_zone)
  SELECT '!', false, 'bench' || n, '', '', 'bench' || n || '@example.com', false, true, now(),
         'UTC' FROM truth_interviewer;
INSERT INTO hiring_requisition (title, profile_id, status, created_at, updated_at,
    remind_before_hours, remind_morning_of, first_reminder_after_minutes,
    reminder_interval_hours, escalate_after_hours)
  SELECT 'Bench requisition', id, 'closed', now(), now(), 24, true, 60, 24, 48
  FROM hiring_roleprofile WHERE slug = 'vp-of-product';
INSERT INTO hiring_candidate (full_name, email, phone, location, time_zone, current_title,
    current_company, profile_url, source, recruiter_notes, created_at, updated_at)
  SELECT 'Candidate ' || g, 'cand' || g || '@example.com', '', '', 'UTC', '', '', '', 'bench',
         '', now(), now() FROM generate_series(1, {loops}) g;
CREATE TEMP TABLE truth_candidate AS
  SELECT id, (random() - 0.5) * 2 AS ability FROM hiring_candidate;
INSERT INTO hiring_loop (candidate_id, requisition_id, status, created_at, updated_at)
  SELECT c.id, r.id, 'decided', now(), now() FROM hiring_candidate c, hiring_requisition r;
INSERT INTO hiring_interview (loop_id, title, starts_at, ends_at, time_zone, location,
    video_url, case_exercise_id, status, calendar_sequence, calendar_uid, created_at, updated_at)
  SELECT l.id, 'Interview ' || s, now() - interval '30 days', now() - interval '29 days', 'UTC',
         '', '', NULL, 'completed', 0, 'bench-' || l.id || '-' || s || '@bench.local', now(),
         now()
  FROM hiring_loop l, generate_series(1, {panel}) s;
INSERT INTO hiring_interview_interviewers (interview_id, user_id)
  SELECT a.interview_id, u.id
  FROM (SELECT id AS interview_id, 1 + floor(random() * {interviewers})::int AS n
        FROM hiring_interview) a
  JOIN hiring_user u ON u.username = 'bench' || a.n;
INSERT INTO scorecards_scorecard (interview_id, interviewer_id, status, first_submitted_at,
    last_submitted_at, created_at)
  SELECT interview_id, user_id, 'submitted', now(), now(), now()
  FROM hiring_interview_interviewers;
INSERT INTO scorecards_scorecardrevision (scorecard_id, number, submitted_at, is_current,
    overall_recommendation, key_takeaways, amendment_reason, imported, created_at, updated_at)
  SELECT id, 1, now(), true, 'yes', '', '', false, now(), now() FROM scorecards_scorecard;
INSERT INTO scorecards_dimensionrating (revision_id, dimension_id, rating, not_assessed,
    evidence, scale_max)
  SELECT v.id, d.id,
         greatest(1, least(4, round(2.6 + tc.ability + ti.leniency + (random() - 0.5) * 1.2))),
         false, '', 4
  FROM scorecards_scorecardrevision v
  JOIN scorecards_scorecard s ON s.id = v.scorecard_id
  JOIN hiring_interview i ON i.id = s.interview_id
  JOIN hiring_loop l ON l.id = i.loop_id
  JOIN truth_candidate tc ON tc.id = l.candidate_id
  JOIN hiring_user u ON u.id = s.interviewer_id
  JOIN truth_interviewer ti ON 'bench' || ti.n = u.username
  CROSS JOIN hiring_dimension d
  WHERE d.profile_id = (SELECT id FROM hiring_roleprofile WHERE slug = 'vp-of-product');
ANALYZE;
"""


def run() -> None:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL.format(loops=LOOPS, panel=PANEL, interviewers=INTERVIEWERS))
        cursor.execute("SELECT count(*) FROM scorecards_dimensionrating")
        (ratings,) = cursor.fetchone()
        cursor.execute(
            "SELECT u.id, ti.leniency FROM truth_interviewer ti "
            "JOIN hiring_user u ON u.username = 'bench' || ti.n"
        )
        truth = dict(cursor.fetchall())
    print(f"seeded {ratings:,} ratings in {time.perf_counter() - started:.1f} s")

    from scorecards.calibration.summaries import calibration_refit
    from scorecards.models import InterviewerCalibration

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    calibration_run = calibration_refit()
    seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    fitted = dict(InterviewerCalibration.objects.values_list("interviewer_id", "leniency"))
    keys = sorted(truth)
    correlation = np.corrcoef([truth[k] for k in keys], [fitted[k] for k in keys])[0, 1]
    print(f"refit (read from PostgreSQL + fit + store {len(fitted):,} leniencies): {seconds:.2f} s")
    print(
        f"  converged={calibration_run.converged}, shrinkage={calibration_run.shrinkage:.2f}, "
        f"residual variance={calibration_run.residual_variance:.3f}"
    )
    print(f"peak RSS: {rss_after:.0f} MiB (before the refit: {rss_before:.0f} MiB)")
    print(f"correlation of fitted with hidden leniency: {correlation:.3f}")


def main() -> None:
    with running(PG_PORT, REDIS_PORT, prefix="loopwise-refit-"):
        run()


if __name__ == "__main__":
    main()
