"""The admin's lists draw each row's selection checkbox as formatted HTML rather than through
the form templates (a fifth of a 50-row loop list's CPU, issue 14): what the recruiter's
browser gets, and what the actions post back, must stay exactly Django's own."""

from __future__ import annotations

import pytest
from django.contrib import admin

from hiring.models import Loop
from tests.factories import CandidateFactory, LoopFactory

pytestmark = pytest.mark.django_db


def test_a_row_checkbox_is_djangos_own_html_even_for_a_name_with_markup() -> None:
    candidate = CandidateFactory(full_name='<b>O\'Neil & "Co"</b>')
    loop = LoopFactory(candidate=candidate)
    loop_admin = admin.site._registry[Loop]

    ours = loop_admin.action_checkbox(loop)

    assert ours == admin.ModelAdmin.action_checkbox(loop_admin, loop)
    assert f'value="{loop.pk}"' in ours
    assert "<b>" not in ours  # the candidate's name stays text in the label
