import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schools.models import GiasImport
from schools.services import gias_import_run


class Command(BaseCommand):
    help = "Import DfE's GIAS establishment extract (edubasealldata<date>.csv)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        started = time.perf_counter()
        record = GiasImport.objects.create(file_name=path.name)
        self.stdout.write(f"Checking {path.name} …")
        with path.open("rb") as source:
            record = gias_import_run(record=record, source=source, progress=self._progress)
        if record.status == GiasImport.Status.FAILED:
            raise CommandError(record.error)
        seconds = time.perf_counter() - started
        self.stdout.write("")
        self.stdout.write(
            f"{record.total_rows:,} establishments in {seconds:.1f} s: "
            f"{record.created_count:,} created, {record.updated_count:,} updated, "
            f"{record.unchanged_count:,} unchanged, {record.closed_count:,} closed."
        )

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        self.stdout.write(
            f"\rImporting [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}", ending=""
        )
        self.stdout.flush()
