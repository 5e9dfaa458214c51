from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NpqPortalConfig(AppConfig):
    name = "npq_portal"
    verbose_name = "NPQ Portal"

    def ready(self) -> None:
        from . import checks, handlers  # noqa: F401  (registers checks and signal receivers)
        from .model_choices import model_choices_listed
        from .roles import roles_sync_permissions

        model_choices_listed()

        # Permissions exist only after every app has migrated, so roles get theirs then.
        post_migrate.connect(roles_sync_permissions, dispatch_uid="npq_portal.roles_sync")
