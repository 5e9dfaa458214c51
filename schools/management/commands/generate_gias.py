from pathlib import Path

from django.core.management.base import BaseCommand

from schools.gias_generator import write_gias_file


class Command(BaseCommand):
    help = "Write a synthetic GIAS extract (edubasealldata format, Windows-1252) for tests."

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path, help="e.g. /tmp/edubasealldata20261122.csv")
        parser.add_argument("--rows", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--bad-row", type=int, default=0, help="Line of the file to spoil (2 = first school)."
        )

    def handle(self, *args, out: Path, rows: int, seed: int, bad_row: int, **options):
        with out.open("wb") as handle:
            write_gias_file(handle, rows, seed=seed, bad_row=bad_row)
        self.stdout.write(f"Wrote {rows:,} establishments to {out}")
