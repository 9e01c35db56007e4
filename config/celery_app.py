"""The Celery application. Configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery

from config.celery_steps import CatchUpOnConnect, WorkerHeartbeat
from config.logs import connect_celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("loopwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks carry the id of the request that queued them into their log lines (config.logs).
connect_celery(json_logs=os.environ.get("LOG_FORMAT", "").lower() == "json")
# Deliver what waited in the database as soon as a worker (re)connects to the broker.
app.steps["consumer"].add(CatchUpOnConnect)
# Each worker's sign of life for /readyz.
app.steps["worker"].add(WorkerHeartbeat)
