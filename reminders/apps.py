"""The emails that remind people: their rules, runner, caps, opt-outs and previews."""

from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self) -> None:
        from . import handlers  # noqa: F401  connects the receivers
