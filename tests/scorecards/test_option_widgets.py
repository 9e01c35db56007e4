"""The scorecard form draws its radio buttons and checkboxes without the form templates
(issue 14: they were close to half of the form's CPU). What the interviewer's browser gets
must stay exactly what Django's own widgets give, option by option and whole."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.utils.safestring import mark_safe

from scorecards.kit import widgets

CHOICES: list[tuple[Any, str]] = [
    ("1", "1 · Below the bar"),
    ("4", 'Excellent <b>"&"</b>'),
    (7, "a number"),
    ("not_assessed", "Not assessed"),
]


def form_with(stock: type[forms.Widget], ours: type[forms.Widget], **attrs: Any) -> type:
    class TwoWidgets(forms.Form):
        theirs = forms.MultipleChoiceField(choices=CHOICES, widget=stock(attrs=attrs))
        mine = forms.MultipleChoiceField(choices=CHOICES, widget=ours(attrs=attrs))

    return TwoWidgets


@pytest.mark.parametrize(
    ("stock", "ours"),
    [
        (forms.RadioSelect, widgets.RadioSelect),
        (forms.CheckboxSelectMultiple, widgets.CheckboxSelectMultiple),
    ],
)
@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"aria-describedby": "help", "data-x": mark_safe("<safe>"), "disabled": True},
        {"class": 'a"b', "hidden": False, "data-none": None},
    ],
)
@pytest.mark.parametrize("data", [None, {"theirs": ["4", "7"], "mine": ["4", "7"]}])
def test_each_option_and_the_whole_widget_are_djangos_own_html(
    stock: type[forms.Widget],
    ours: type[forms.Widget],
    attrs: dict[str, Any],
    data: dict[str, Any] | None,
) -> None:
    form = form_with(stock, ours, **attrs)(data=data)
    theirs, mine = form["theirs"], form["mine"]

    for their_option, my_option in zip(theirs, mine, strict=True):
        assert my_option.tag() == their_option.tag().replace("theirs", "mine")
        assert str(my_option) == str(their_option).replace("theirs", "mine")
    assert str(mine) == str(theirs).replace("theirs", "mine")
