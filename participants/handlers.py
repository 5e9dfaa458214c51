"""Receivers: a place (a person's or a school's) made, changed or removed by any path keeps its
cohort's count right; a change to what cohort grids are worked out from has kept grids worked
out again."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cohorts.models import ModuleWindow, Session
from npq_portal.signals import on_saves_and_deletions, rows_written
from programmes.models import Module

from .models import Attendance, Enrolment, ModulePhaseDone, SchoolPlace
from .selectors import grid_stale
from .services import places_recount


@receiver(post_save, sender=Enrolment, dispatch_uid="participants.places_recount_on_save")
@receiver(post_delete, sender=Enrolment, dispatch_uid="participants.places_recount_on_delete")
@receiver(post_save, sender=SchoolPlace, dispatch_uid="participants.school_places_recount_on_save")
@receiver(
    post_delete, sender=SchoolPlace, dispatch_uid="participants.school_places_recount_on_delete"
)
def recount_places(sender, instance: Enrolment | SchoolPlace, **kwargs) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"status", "cohort"} & set(update_fields):
        return  # a save that cannot change which places are held (an action plan, say)
    places_recount(cohort_ids=[instance.cohort_id])


# What cohort grids are worked out from (participants/selectors.py `cohort_progress_grid_kept`):
# every save or deletion moves their version on.
GRID_READS = (Attendance, Session, ModuleWindow, Module, Enrolment, ModulePhaseDone)


on_saves_and_deletions(grid_stale, GRID_READS, "participants.grid")


@receiver(rows_written, dispatch_uid="participants.grid_on_rows_written")
def grid_on_rows_written(sender, **kwargs):
    if sender in GRID_READS:  # a register saved or imported, sessions moved, say
        grid_stale()
