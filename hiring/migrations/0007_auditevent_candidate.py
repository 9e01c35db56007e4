import django.db.models.deletion
from django.db import migrations, models


def link_existing_events(apps, schema_editor):
    """Events written before the link: candidates' own, and decisions (via their loop)."""
    AuditEvent = apps.get_model("hiring", "AuditEvent")
    Candidate = apps.get_model("hiring", "Candidate")
    Decision = apps.get_model("hiring", "Decision")
    candidates = {str(pk) for pk in Candidate.objects.values_list("pk", flat=True)}
    decisions = {str(pk): c for pk, c in Decision.objects.values_list("pk", "loop__candidate_id")}
    for event in AuditEvent.objects.filter(candidate__isnull=True).iterator():
        if event.object_type == "hiring.candidate" and event.object_id in candidates:
            event.candidate_id = int(event.object_id)
        elif event.object_type == "hiring.decision" and event.object_id in decisions:
            event.candidate_id = decisions[event.object_id]
        else:
            continue
        event.save(update_fields=["candidate"])


class Migration(migrations.Migration):
    dependencies = [
        ("hiring", "0006_integrations"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="candidate",
            field=models.ForeignKey(
                blank=True,
                help_text="Whose personal data this is about: their trail, export and erasure.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="audit_events",
                to="hiring.candidate",
            ),
        ),
        migrations.RunPython(link_existing_events, migrations.RunPython.noop),
    ]
