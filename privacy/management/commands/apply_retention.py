from django.conf import settings
from django.core.management.base import BaseCommand

from privacy.services import retention_apply

LABELS = {
    "unconfirmed_subscribers": "mailing-list sign-ups never confirmed, forgotten",
    "applications": "closed applications anonymised",
    "application_history_notes": "notes in those applications' history blanked",
    "emails_logged": "logged emails to their headteachers anonymised",
    "work_group_team_entries": "people named in those Work Group sign-ups, names and addresses removed",
}


class Command(BaseCommand):
    help = (
        "Apply the retention rules in settings.RETENTION: forget unconfirmed mailing-list "
        "sign-ups and anonymise applications closed without a place. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would change; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        report = retention_apply(dry_run=dry_run)
        rules = settings.RETENTION
        self.stdout.write(
            f"Retention rules: unconfirmed sign-ups after {rules['unconfirmed_subscribers'].days}"
            f" days; closed applications {rules['closed_applications'].days} days after the"
            " decision."
        )
        verb = "Would change" if dry_run else "Changed"
        if report.found_nothing:
            self.stdout.write("Nothing is due: no personal data has been kept too long.")
            return
        for name, count in report.counts.items():
            self.stdout.write(f"{verb}: {count} {LABELS.get(name, name)}")
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Recorded as request {report.record.pk}."))
