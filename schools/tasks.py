"""The schools' background work: importing an uploaded GIAS extract."""

from celery import shared_task
from django.core.files.storage import default_storage

from .models import GiasImport


@shared_task
def gias_import_task(record_id: int) -> None:
    """Import an uploaded GIAS extract; safe to run twice (a finished import is left alone)."""
    from .services import gias_import_failed, gias_import_run  # services.py imports this module

    record = GiasImport.objects.filter(pk=record_id, status=GiasImport.Status.WAITING).first()
    if record is None:
        return
    if not default_storage.exists(record.stored_path):
        gias_import_failed(record, "The uploaded file could not be found: please upload it again.")
        return
    try:
        with default_storage.open(record.stored_path, "rb") as source:
            gias_import_run(record=record, source=source)
    finally:
        default_storage.delete(record.stored_path)  # the schools are in the database now
