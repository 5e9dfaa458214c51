from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

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
        parser.add_argument(
            "--programme",
            action="append",
            dest="programmes",
            metavar="SLUG",
            help="Only this programme (repeat for more), e.g. npq-headship.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would change; change nothing."
        )

    def handle(self, *args, overwrite: bool, programmes, dry_run: bool, **options):
        try:
            report = catalogue_load(
                overwrite=overwrite,
                only=set(programmes) if programmes else None,
                dry_run=dry_run,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        prefix = "Dry run, nothing changed. Would be: " if dry_run else "Catalogue: "
        self.stdout.write(
            f"{prefix}{len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, "
            f"{len(report.kept_staff_edits)} kept as staff edited them."
        )
        if report.kept_staff_edits:
            self.stdout.write(
                "Edited by staff (restore the seeded text with --overwrite --programme SLUG): "
                + ", ".join(report.kept_staff_edits)
            )
        if report.work_groups_set_up:
            self.stdout.write(
                "Given the catalogue's Work Group set-up (check it on each programme's page): "
                + ", ".join(report.work_groups_set_up)
            )
        for conflict in report.conflicts:
            self.stderr.write(f"Not loaded, {conflict}")
