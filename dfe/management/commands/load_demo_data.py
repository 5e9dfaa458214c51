from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessment.demo import demo_assessment_load
from dfe.demo import demo_dfe_load
from npq_portal.demo import DEMO_PASSWORD, demo_accounts_load, demo_data_allowed
from participants.demo import demo_journey_load, demo_running_cohort_load, demo_work_groups_load


class Command(BaseCommand):
    help = (
        "Create demo accounts, one per role, a demo cohort, schools and application, and Maths "
        "Hub Work Groups, and a connection to a fake DfE with a reconciliation and declarations "
        "(development only; safe to run again)."
    )

    def handle(self, *args, **options):
        if not demo_data_allowed():
            raise CommandError(
                "Demo accounts have published passwords: they are only loaded on a developer's "
                "machine (DEBUG on, SECRET_KEY unset)."
            )
        results = demo_accounts_load()
        demo_journey_load()
        demo_running_cohort_load()
        demo_work_groups_load()
        demo_assessment_load()
        connection = demo_dfe_load()  # last: it reads the cohorts and places made above
        created = sum(1 for _, new in results if new)
        self.stdout.write(f"Demo accounts: {created} created, {len(results) - created} existing.")
        self.stdout.write("")
        self.stdout.write(f"Sign in at http://127.0.0.1:8000/ with password {DEMO_PASSWORD}:")
        for account, _ in results:
            self.stdout.write(f"  {account.role.label:<18} {account.email}")
        if connection is not None:
            self.stdout.write("")
            self.stdout.write(
                f"DfE: {connection.name}, a fake DfE kept in {settings.DFE['fake_state']} "
                "(never DfE itself); see /staff/dfe/reconciliation/."
            )
        self.stdout.write("")
        self.stdout.write(
            "Staff accounts ask for an authenticator code: "
            "`.venv/bin/python manage.py demo_totp_code admin@demo.example` prints it."
        )
