from django.core.management.base import BaseCommand

from programmes.services import catalogue_load


class Command(BaseCommand):
    help = (
        "Load the programme catalogue from the source pages (safe to run again: programmes "
        "staff have edited are left alone unless --overwrite is given)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Restore the seeded content of programmes staff have edited.",
        )

    def handle(self, *args, overwrite: bool, **options):
        report = catalogue_load(overwrite=overwrite)
        self.stdout.write(
            f"Catalogue: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, "
            f"{len(report.kept_staff_edits)} kept as staff edited them."
        )
        if report.kept_staff_edits:
            self.stdout.write(
                "Edited by staff (use --overwrite to restore the seeded text): "
                + ", ".join(report.kept_staff_edits)
            )
