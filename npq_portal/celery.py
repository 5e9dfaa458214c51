"""Celery's standard Django recipe: settings come from CELERY_* in npq_portal.settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npq_portal.settings")

app = Celery("npq_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
