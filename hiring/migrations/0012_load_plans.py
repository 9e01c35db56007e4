"""Every freshly migrated database holds the shipped interview plans, like the rubric
(DESIGN §9): a profile with no plan slot gets its plan from ``hiring/rubric/*.yaml``."""

from django.db import migrations


def load(apps, schema_editor):
    from hiring.rubric import load_plans

    load_plans(apps)


class Migration(migrations.Migration):
    dependencies = [("hiring", "0011_planslot")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
