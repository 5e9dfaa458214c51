"""How a place is asked for: the application, school approval, review and the waiting list."""

from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Applications"
