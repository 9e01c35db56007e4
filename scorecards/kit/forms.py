"""The scorecard form: built from the interview's focus dimensions and its profile's scale,
signals and red flags. It only checks that what was posted is one of the offered choices and
that no text is over its limit (``hiring.limits``); completeness is the services' rule
(``submission_errors``), mapped back onto these fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import CharField, Value

from hiring import limits
from hiring.errors import add_to_form
from hiring.limits import LimitedCharField
from hiring.models import Dimension, Interview, RedFlag, RoleProfile, Signal
from scorecards.kit import widgets
from scorecards.models import Recommendation, ScorecardRevision
from scorecards.selectors import Kit
from scorecards.services import RatingInput, ScorecardContent

NOT_ASSESSED = "na"
# Tell dimensions and red flags from signals (whose kind is strong or weak) in
# ``posted_kit``'s one query.
DIMENSION, RED_FLAG = "dimension", "red_flag"


@dataclass(frozen=True)
class DimensionFields:
    """The bound fields of one dimension, for the template."""

    dimension: Dimension
    rating: forms.BoundField
    evidence: forms.BoundField


def posted_kit(interview: Interview) -> Kit:
    """What a posted form is checked against, in one query: the interview's focus
    dimensions and the profile's signals and red flags. None of the page's reading
    (schedule, case exercise), and of each dimension only what the form and the services
    use (name, slug, order): a page that shows the form again takes the full kit
    (``ScorecardForm.show_with``)."""
    profile = interview.loop.requisition.profile
    focus_link = Interview.focus_dimensions.through
    rows = (
        focus_link.objects.filter(interview_id=interview.pk)
        .order_by()  # SQLite takes no ORDER BY inside a UNION
        .values_list(
            "dimension_id",
            Value(DIMENSION, output_field=CharField()),
            "dimension__name",
            "dimension__order",
            "dimension__slug",
        )
        .union(
            Signal.objects.filter(profile=profile)
            .order_by()
            .values_list("pk", "kind", "text", "order", Value("", output_field=CharField())),
            RedFlag.objects.filter(profile=profile)
            .order_by()
            .values_list(
                "pk",
                Value(RED_FLAG, output_field=CharField()),
                "text",
                "order",
                Value("", output_field=CharField()),
            ),
            all=True,
        )
    )
    focus: list[Dimension] = []
    signals: list[Signal] = []
    red_flags: list[RedFlag] = []
    for pk, kind, text, order, slug in rows:
        if kind == DIMENSION:
            focus.append(Dimension(pk=pk, profile=profile, name=text, order=order, slug=slug))
        elif kind == RED_FLAG:
            red_flags.append(RedFlag(pk=pk, profile=profile, text=text, order=order))
        else:
            signals.append(Signal(pk=pk, profile=profile, kind=kind, text=text, order=order))
    focus.sort(key=lambda d: (d.order, d.pk))  # the models' ordering
    signals.sort(key=lambda s: (s.kind, s.order, s.pk))
    red_flags.sort(key=lambda f: (f.order, f.pk))
    return Kit(
        interview=interview,
        profile=profile,
        focus=focus,
        case_dimensions=[],
        case_deliverables=[],
        schedule=[],
        strong_signals=[s for s in signals if s.kind == Signal.Kind.STRONG],
        weak_signals=[s for s in signals if s.kind == Signal.Kind.WEAK],
        red_flags=red_flags,
    )


class ScorecardForm(forms.Form):
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    overall_recommendation = forms.ChoiceField(
        label="Overall recommendation",
        choices=Recommendation.choices,
        required=False,
        widget=widgets.RadioSelect,
    )
    key_takeaways = LimitedCharField(
        label="Key takeaways",
        max_length=limits.KEY_TAKEAWAYS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the hiring manager should remember from this interview.",
    )

    def __init__(self, *args: Any, kit: Kit, amending: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kit = kit
        self.amending = amending
        scale = self.scale_choices(kit.profile)
        for dimension in kit.focus:
            self.fields[f"rating_{dimension.pk}"] = forms.ChoiceField(
                label=dimension.name, choices=scale, required=False, widget=widgets.RadioSelect
            )
            self.fields[f"evidence_{dimension.pk}"] = LimitedCharField(
                label=f"Evidence for {dimension.name}",
                max_length=limits.EVIDENCE,
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text="What the candidate said or did that supports your rating.",
            )
        self.fields["strong_signals"] = self._checkboxes("Strong signals", kit.strong_signals)
        self.fields["weak_signals"] = self._checkboxes("Weak signals", kit.weak_signals)
        self.fields["red_flags"] = self._checkboxes("Red flags", kit.red_flags)
        if amending:
            self.fields["amendment_reason"] = LimitedCharField(
                label="Why are you amending this scorecard?",
                max_length=limits.AMENDMENT_REASON,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text="Required. Everyone who reads the history sees it.",
            )
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["aria-describedby"] = f"id_{name}_helptext"

    @staticmethod
    def scale_choices(profile: RoleProfile) -> list[tuple[str, str]]:
        return [(str(value), f"{value} · {label}") for value, label in profile.scale_choices()] + [
            (NOT_ASSESSED, "Not assessed")
        ]

    @staticmethod
    def _checkboxes(label: str, items: list[Any]) -> forms.TypedMultipleChoiceField:
        return forms.TypedMultipleChoiceField(
            label=label,
            choices=[(item.pk, item.text) for item in items],
            coerce=int,
            required=False,
            widget=widgets.CheckboxSelectMultiple,
        )

    @classmethod
    def initial_from(cls, revision: ScorecardRevision | None, *, based_on: int) -> dict[str, Any]:
        """The form's starting values: the open draft or submitted revision, else blank."""
        initial: dict[str, Any] = {"based_on": based_on}
        if revision is None:
            return initial
        initial["overall_recommendation"] = revision.overall_recommendation
        initial["key_takeaways"] = revision.key_takeaways
        initial["amendment_reason"] = revision.amendment_reason if revision.is_draft else ""
        signals = list(revision.signals.all())
        initial["strong_signals"] = [s.pk for s in signals if s.kind == Signal.Kind.STRONG]
        initial["weak_signals"] = [s.pk for s in signals if s.kind == Signal.Kind.WEAK]
        initial["red_flags"] = [flag.pk for flag in revision.red_flags.all()]
        for rating in revision.ratings.all():
            if rating.not_assessed:
                initial[f"rating_{rating.dimension_id}"] = NOT_ASSESSED
            elif rating.rating is not None:
                initial[f"rating_{rating.dimension_id}"] = str(rating.rating)
            initial[f"evidence_{rating.dimension_id}"] = rating.evidence
        return initial

    def show_with(self, kit: Kit) -> None:
        """Show the form again on a page that has read the full ``kit`` (the dimensions'
        descriptors), not the one the post was checked against (``posted_kit``): the
        same dimensions, signals and red flags, so the fields stay as they are."""
        self.kit = kit

    def dimensions(self) -> list[DimensionFields]:
        return [
            DimensionFields(d, self[f"rating_{d.pk}"], self[f"evidence_{d.pk}"])
            for d in self.kit.focus
        ]

    def to_content(self) -> ScorecardContent:
        data = self.cleaned_data
        ratings: dict[int, RatingInput] = {}
        for dimension in self.kit.focus:
            value = data.get(f"rating_{dimension.pk}") or ""
            evidence = data.get(f"evidence_{dimension.pk}") or ""
            ratings[dimension.pk] = RatingInput(
                rating=int(value) if value and value != NOT_ASSESSED else None,
                not_assessed=value == NOT_ASSESSED,
                evidence=evidence,
            )
        return ScorecardContent(
            ratings=ratings,
            overall_recommendation=data.get("overall_recommendation") or "",
            key_takeaways=data.get("key_takeaways") or "",
            signal_ids=[*data.get("strong_signals", []), *data.get("weak_signals", [])],
            red_flag_ids=data.get("red_flags", []),
            amendment_reason=data.get("amendment_reason") or "",
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the services' errors, keyed ``rating_<id>``, ``evidence_<id>``,
        ``overall_recommendation``, ``amendment_reason``, next to their fields."""
        add_to_form(self, error)

    def errors_by_field(self) -> dict[str, list[str]]:
        return {key: [str(message) for message in value] for key, value in self.errors.items()}

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary at the top of the page."""
        links: list[tuple[str, str]] = []
        for name, messages in self.errors.items():
            field = self.fields.get(name)
            if field is None:
                anchor = "#scorecard-form"
            elif isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                anchor = f"#id_{name}_0"
            else:
                anchor = f"#id_{name}"
            links.extend((anchor, str(message)) for message in messages)
        return links

    def annotate_errors(self) -> None:
        """Tie each error message to its input for screen readers."""
        for name in self.errors:
            field = self.fields.get(name)
            if field is None:
                continue
            described = [f"id_{name}_error"]
            if field.help_text:
                described.append(f"id_{name}_helptext")
            field.widget.attrs["aria-describedby"] = " ".join(described)
            field.widget.attrs["aria-invalid"] = "true"
