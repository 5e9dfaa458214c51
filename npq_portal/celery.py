"""Celery's standard Django recipe: settings come from CELERY_* in npq_portal.settings."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npq_portal.settings")

app = Celery("npq_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def logging_redact_emails(logger, **kwargs) -> None:
    """A worker replaces the root logger's handlers with its own (worker_hijack_root_logger),
    dropping LOGGING's email filter: put it back on them, as a retried task's log line quotes
    its error, and an SMTP refusal names the address."""
    from .log_filters import RedactEmailAddresses

    for handler in logger.handlers:
        if not any(isinstance(f, RedactEmailAddresses) for f in handler.filters):
            handler.addFilter(RedactEmailAddresses())
