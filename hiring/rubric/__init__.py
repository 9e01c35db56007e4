"""Load role profiles (the rubric) from the YAML shipped beside this module.

Used by migration ``hiring.0002_load_rubric`` with historical models, and by
``manage.py load_rubric`` with the current ones. Create-only: a profile whose slug exists is
left untouched, so recruiters' edits in the admin survive every re-run.

A profile's interview plan (its ``plan:`` list) is loaded the same way, by migration
``hiring.0012_load_plans`` and the same command: a profile that has no plan slot yet gets the
shipped plan; one that has any is left as the administrators edited it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.apps import apps as global_apps
from django.utils.text import slugify

RUBRIC_FILES = sorted(Path(__file__).parent.glob("*.yaml"))

_PROFILE_FIELDS = (
    "name",
    "slug",
    "summary",
    "level",
    "rating_scale",
    "scale_labels",
    "bar",
    "strong_hire_margin",
    "no_hire_margin",
    "red_flag_no_hire_count",
    "disagreement_points",
    "level_below_bar",
)
_DECIMAL_FIELDS = {"bar", "strong_hire_margin", "no_hire_margin", "level_below_bar"}


def read_profiles(paths: list[Path] | None = None) -> list[dict[str, Any]]:
    profiles: list[dict[str, Any]] = []
    for path in paths or RUBRIC_FILES:
        profiles.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["profiles"])
    return profiles


def load_rubric(
    apps: Any = global_apps, paths: list[Path] | None = None, *, plans: bool = True
) -> list[str]:
    """Create the profiles that do not exist yet; return the slugs created. With ``plans``,
    also give each profile without a plan its shipped one (``load_plans``)."""
    role_profile = apps.get_model("hiring", "RoleProfile")
    known_fields = {field.name for field in role_profile._meta.get_fields()}
    data = read_profiles(paths)
    created: dict[str, Any] = {}
    for entry in data:
        if role_profile.objects.filter(slug=entry["slug"]).exists():
            continue
        values = {
            key: Decimal(str(entry[key])) if key in _DECIMAL_FIELDS else entry[key]
            for key in _PROFILE_FIELDS
            if key in entry and key in known_fields
        }
        profile = role_profile.objects.create(**values)
        _create_rubric(apps, profile, entry)
        created[entry["slug"]] = profile
    for entry in data:
        profile = created.get(entry["slug"])
        if profile is not None and entry.get("level_below"):
            profile.level_below = role_profile.objects.get(slug=entry["level_below"])
            profile.save(update_fields=["level_below"])
    if plans:
        load_plans(apps, paths)
    return list(created)


def load_plans(apps: Any = global_apps, paths: list[Path] | None = None) -> list[str]:
    """Give every shipped profile that has no plan slot its shipped plan; return the slugs of
    the profiles given one. Before the migration that creates plans (``hiring.0002``'s
    historical models), there is nothing to do."""
    try:
        slot_model = apps.get_model("hiring", "PlanSlot")
    except LookupError:
        return []
    role_profile = apps.get_model("hiring", "RoleProfile")
    given = []
    for entry in read_profiles(paths):
        profile = role_profile.objects.filter(slug=entry["slug"]).first()
        if not entry.get("plan") or profile is None:
            continue
        if slot_model.objects.filter(profile=profile).exists():
            continue
        _create_plan(slot_model, profile, entry["plan"])
        given.append(entry["slug"])
    return given


def _create_plan(slot_model: Any, profile: Any, items: list[dict[str, Any]]) -> None:
    dimensions = {dimension.slug: dimension for dimension in profile.dimensions.all()}
    cases = {case.slug: case for case in profile.case_exercises.all()}
    slots: dict[str, Any] = {}
    for position, item in enumerate(items, start=1):
        slot = slot_model.objects.create(
            profile=profile,
            position=position,
            slug=item["slug"],
            title=item["title"],
            minutes=item["minutes"],
            case_exercise=cases[item["case"]] if item.get("case") else None,
            hiring_manager_required=bool(item.get("hiring_manager", False)),
            buffer_before_minutes=item.get("buffer_before", 0),
            buffer_after_minutes=item.get("buffer_after", 0),
        )
        slot.focus_dimensions.set([dimensions[slug] for slug in item.get("focus", [])])
        slots[slot.slug] = slot
    for item in items:
        if item.get("after"):
            slot = slots[item["slug"]]
            slot.after = slots[item["after"]]
            slot.same_day = bool(item.get("same_day", False))
            slot.save(update_fields=["after", "same_day"])


def _create_rubric(apps: Any, profile: Any, entry: dict[str, Any]) -> None:
    dimension_model = apps.get_model("hiring", "Dimension")
    case_model = apps.get_model("hiring", "CaseExercise")
    signal_model = apps.get_model("hiring", "Signal")
    red_flag_model = apps.get_model("hiring", "RedFlag")

    dimensions = {}
    for order, item in enumerate(entry.get("dimensions", []), start=1):
        dimension = dimension_model.objects.create(
            profile=profile,
            name=item["name"],
            slug=slugify(item["name"]),
            description=item.get("description", ""),
            meets_bar=item["meets_bar"],
            excellent=item["excellent"],
            weight=Decimal(str(item.get("weight", "1.00"))),
            must_have=bool(item.get("must_have", False)),
            order=order,
        )
        dimensions[dimension.slug] = dimension
    for order, item in enumerate(entry.get("case_exercises", []), start=1):
        case = case_model.objects.create(
            profile=profile,
            title=item["title"],
            slug=slugify(item["title"]),
            minutes=item["minutes"],
            brief=item["brief"],
            deliverables=item["deliverables"],
            evaluates=item.get("evaluates", ""),
            order=order,
        )
        case.dimensions.set([dimensions[slug] for slug in item.get("dimensions", [])])
    for kind in ("strong", "weak"):
        for order, text in enumerate(entry.get(f"{kind}_signals", []), start=1):
            signal_model.objects.create(profile=profile, kind=kind, text=text, order=order)
    for order, text in enumerate(entry.get("red_flags", []), start=1):
        red_flag_model.objects.create(profile=profile, text=text, order=order)
