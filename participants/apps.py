"""What a participant does once they hold a place: places, transfers, registers, progress."""

from django.apps import AppConfig

from applications.places import places_register


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = "Participants"

    def ready(self) -> None:
        from . import handlers  # noqa: F401  connects the receivers
        from .places import EnrolmentPlaces

        places_register(EnrolmentPlaces())
