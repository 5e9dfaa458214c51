from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Dashboards, reports and exports: reads across every other app, so it sits to their
    right (npq_portal ← programmes ← cohorts ← participants ← assessment ← reports)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        from . import handlers  # noqa: F401  (connects the receivers)
