"""Every freshly migrated database holds the rubric (DESIGN §9)."""

from django.db import migrations


def load(apps, schema_editor):
    from hiring.rubric import load_rubric

    load_rubric(apps)


class Migration(migrations.Migration):
    dependencies = [("hiring", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
