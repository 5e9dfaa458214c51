"""News of programmes for people who asked: sign-up, confirmation, announcements."""

from django.apps import AppConfig


class MailingListConfig(AppConfig):
    name = "mailing_list"
    verbose_name = "Mailing list"

    def ready(self) -> None:
        from . import handlers  # noqa: F401  connects the receivers
