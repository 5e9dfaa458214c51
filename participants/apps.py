from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"

    def ready(self) -> None:
        from . import handlers  # noqa: F401  (connects the receivers)
