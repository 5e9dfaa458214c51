from django.apps import AppConfig


class DfeConfig(AppConfig):
    """The data exchange with DfE's Lead Provider API v3: its vendored spec and the one client."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dfe"
    verbose_name = "DfE data exchange"

    def ready(self) -> None:
        from . import (
            declarations,  # noqa: F401  registers the senders of declarations and voids
            handlers,  # noqa: F401  connects the receivers (and registers the senders)
            privacy,  # noqa: F401  tells the privacy app what DfE's copies hold
        )
