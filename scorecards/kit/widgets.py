"""Radio buttons and checkboxes whose options are drawn without the form templates.

A scorecard form has about seventy options (a rating scale per dimension, the overall
recommendation, the signals and red flags). Django renders each option's ``<input>``
(``BoundWidget.tag``, which ``_choices.html`` uses) through three nested templates, which was
close to half of the page's CPU. These widgets build that same ``<input>`` directly; anything
else (a whole widget, a label-wrapped option) still goes through Django's templates.
``tests/scorecards/test_option_widgets.py`` holds them to Django's own output.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.widgets import ChoiceWidget
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _option_input(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/input.html`` and ``attrs.html`` for one option."""
    html = [f'<input type="{conditional_escape(widget["type"])}"']
    html.append(f' name="{conditional_escape(widget["name"])}"')
    if widget["value"] is not None:
        html.append(f' value="{conditional_escape(widget["value"])}"')
    for name, value in widget["attrs"].items():
        if value is False:
            continue
        html.append(f" {conditional_escape(name)}")
        if value is not True:
            html.append(f'="{conditional_escape(value)}"')
    html.append(">")
    return "".join(html)


class _DirectOptions(ChoiceWidget):
    def _render(self, template_name: str, context: dict[str, Any], renderer: Any = None) -> Any:
        widget = context.get("widget", {})
        if template_name == self.option_template_name and not widget.get("wrap_label"):
            return mark_safe(_option_input(widget))  # noqa: S308 - every value is escaped
        return super()._render(template_name, context, renderer)  # type: ignore[misc]


class RadioSelect(_DirectOptions, forms.RadioSelect):
    pass


class CheckboxSelectMultiple(_DirectOptions, forms.CheckboxSelectMultiple):
    pass
