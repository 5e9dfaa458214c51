"""Receivers: a place (a person's or a school's) made, changed or removed by any path keeps its
cohort's count right."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Enrolment, SchoolPlace
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
