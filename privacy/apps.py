from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Personal data across every app: subject access exports, erasure and retention."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = "Personal data"
