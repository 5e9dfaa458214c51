from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand, CommandError

from npq_portal.demo import demo_data_allowed, demo_totp_code


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo staff account (development only)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="e.g. admin@demo.example")

    def handle(self, *args, email: str, **options):
        if not demo_data_allowed() or not email.lower().endswith("@demo.example"):
            raise CommandError("Codes are shown only for demo accounts, on a developer's machine.")
        try:
            self.stdout.write(demo_totp_code(email))
        except Authenticator.DoesNotExist as error:
            raise CommandError(f"{email} has no authenticator: run load_demo_data.") from error
