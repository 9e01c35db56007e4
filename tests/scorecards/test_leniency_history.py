"""Calibration history (issue 18): every refit keeps each interviewer's leniency, so the
insight pages draw real trends; the newest refit alone stays in ``InterviewerCalibration``."""

import importlib

import pytest
from django.apps import apps

from scorecards.calibration import summaries
from scorecards.models import CalibrationRun, InterviewerCalibration, InterviewerLeniency
from tests.scorecards.test_summaries import submit

pytestmark = pytest.mark.django_db


def test_every_refit_is_kept_per_interviewer(world, interviewer, other_interviewer):
    # given two interviewers' scorecards
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=2)

    # when calibration is refitted twice
    first = summaries.calibration_refit()
    second = summaries.calibration_refit()

    # then the current calibration holds one row each, the history one per refit each
    assert InterviewerCalibration.objects.count() == 2
    history = InterviewerLeniency.objects.filter(interviewer=interviewer).order_by("run_id")
    assert [row.run_id for row in history] == [first.pk, second.pk]
    current = InterviewerCalibration.objects.get(interviewer=interviewer)
    newest = history.last()
    assert newest is not None
    assert (newest.leniency, newest.leniency_se, newest.ratings) == (
        current.leniency,
        current.leniency_se,
        current.ratings,
    )
    assert newest.ratings == 2  # two focus dimensions rated


def test_the_migration_seeds_the_history_from_the_current_calibration(
    world, interviewer, other_interviewer
):
    # given a refit whose history rows are gone (as before the history existed)
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=2)
    run = summaries.calibration_refit()
    InterviewerLeniency.objects.all().delete()

    # when the data migration runs
    migration = importlib.import_module("scorecards.migrations.0005_leniency_history")
    migration.seed_from_current(apps, None)
    migration.seed_from_current(apps, None)  # twice: nothing doubles

    # then each interviewer's current leniency is the first point of their history
    seeded = {
        (row.interviewer_id, row.run_id, row.leniency) for row in InterviewerLeniency.objects.all()
    }
    assert seeded == {
        (c.interviewer_id, run.pk, c.leniency) for c in InterviewerCalibration.objects.all()
    }
    assert CalibrationRun.objects.count() == 1
