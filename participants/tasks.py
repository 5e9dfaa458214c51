from pathlib import Path

from celery import shared_task

from .models import GiasImport


@shared_task
def gias_import_task(record_id: int) -> None:
    """Import an uploaded GIAS extract; safe to run twice (a finished import is left alone)."""
    from .services import gias_import_run  # services may import tasks

    record = GiasImport.objects.filter(pk=record_id, status=GiasImport.Status.WAITING).first()
    if record is None:
        return
    path = Path(record.stored_path)
    try:
        with path.open("rb") as source:
            gias_import_run(record=record, source=source)
    finally:
        path.unlink(missing_ok=True)  # the schools are in the database now; the upload can go
