"""Where people work: GIAS schools, other institutions, DfE's eligibility lists, school leaders."""

from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = "Schools"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import School
        from .search_cache import schools_changed

        # A school saved or deleted one at a time; imports say so themselves.
        post_save.connect(schools_changed, sender=School, dispatch_uid="schools.search_saved")
        post_delete.connect(schools_changed, sender=School, dispatch_uid="schools.search_deleted")
