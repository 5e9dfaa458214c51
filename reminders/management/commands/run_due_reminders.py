from django.core.management.base import BaseCommand

from reminders.assessment import assessment_reminders_run
from reminders.services import reminders_run


class Command(BaseCommand):
    help = "Send the reminders now due (what Celery beat runs every 5 minutes); safe to rerun."

    def handle(self, *args, **options):
        sent = reminders_run() + assessment_reminders_run()
        self.stdout.write(f"{sent} reminder{'s' if sent != 1 else ''} sent.")
