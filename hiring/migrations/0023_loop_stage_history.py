"""The stage history (issue 18): a row per change of a loop's stage, written from now on by
``hiring.stages`` in the same transaction as the change. Loops older than it get a plausible
history, marked ``backfilled``:

- created at ``created_at``, in "Scheduling" (where every loop starts);
- if it went past scheduling: "In progress" at its first interview's start (not cancelled);
- a decided loop: "Decided" at its current decision's ``decided_at`` (its latest decision's
  if none is current);
- any other stage it is in now (withdrawn, awaiting feedback, ready for debrief): entered at
  its ``updated_at``, the last time the row changed.

What it cannot know: the moves back and forth among the open stages (an interview added to
a loop ready for debrief puts it back in progress), when feedback started to be awaited,
reopenings and the stages of a decision later revised, who made any change, and whether the
loop's row changed after it was withdrawn (so that moment may be late). Each moment is kept
no earlier than the one before it, so the history stays in order.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    Loop = apps.get_model("hiring", "Loop")
    Interview = apps.get_model("hiring", "Interview")
    Decision = apps.get_model("hiring", "Decision")
    LoopStageChange = apps.get_model("hiring", "LoopStageChange")
    first_interview = {}
    for loop_id, starts_at in (
        Interview.objects.exclude(status="cancelled")
        .order_by("loop_id", "starts_at")
        .values_list("loop_id", "starts_at")
    ):
        first_interview.setdefault(loop_id, starts_at)
    decided_at = {}
    for loop_id, at, current in Decision.objects.order_by("decided_at").values_list(
        "loop_id", "decided_at", "is_current"
    ):
        if current or loop_id not in decided_at or not decided_at[loop_id][1]:
            decided_at[loop_id] = (at, current)
    rows = []
    for loop_id, status, created_at, updated_at in Loop.objects.values_list(
        "pk", "status", "created_at", "updated_at"
    ).iterator(chunk_size=2000):
        steps = [("", "scheduling", created_at)]
        started = first_interview.get(loop_id)
        if status != "scheduling" and started is not None:
            steps.append(("scheduling", "in_progress", max(started, created_at)))
        if status == "decided" and loop_id in decided_at:
            final_at = decided_at[loop_id][0]
        else:
            final_at = updated_at
        if status != steps[-1][1]:
            steps.append((steps[-1][1], status, max(final_at, steps[-1][2])))
        rows += [
            LoopStageChange(
                loop_id=loop_id, from_status=before, to_status=to, at=at, backfilled=True
            )
            for before, to, at in steps
        ]
        if len(rows) >= 5000:
            LoopStageChange.objects.bulk_create(rows)
            rows = []
    LoopStageChange.objects.bulk_create(rows)


class Migration(migrations.Migration):

    dependencies = [
        ('hiring', '0022_hire_outcomes'),
    ]

    operations = [
        migrations.CreateModel(
            name='LoopStageChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(blank=True, choices=[('scheduling', 'Scheduling'), ('in_progress', 'In progress'), ('awaiting_feedback', 'Awaiting feedback'), ('ready_for_debrief', 'Ready for debrief'), ('decided', 'Decided'), ('withdrawn', 'Withdrawn')], help_text='Empty: the stage the loop was created in.', max_length=20)),
                ('to_status', models.CharField(choices=[('scheduling', 'Scheduling'), ('in_progress', 'In progress'), ('awaiting_feedback', 'Awaiting feedback'), ('ready_for_debrief', 'Ready for debrief'), ('decided', 'Decided'), ('withdrawn', 'Withdrawn')], max_length=20)),
                ('at', models.DateTimeField(db_index=True)),
                ('backfilled', models.BooleanField(default=False, help_text='Reconstructed for a loop older than the history.')),
                ('by', models.ForeignKey(blank=True, help_text="Empty: the system moved it (interviews, scorecards, a decision's service).", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('loop', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stage_changes', to='hiring.loop')),
            ],
            options={
                'ordering': ['loop', 'at', 'id'],
                'indexes': [models.Index(fields=['loop', 'at'], name='stagechange_loop_at_idx')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
