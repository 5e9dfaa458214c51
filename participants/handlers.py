"""Receivers: a place made, changed or removed by any path keeps its cohort's count right."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Enrolment
from .services import places_recount


@receiver(post_save, sender=Enrolment, dispatch_uid="participants.places_recount_on_save")
@receiver(post_delete, sender=Enrolment, dispatch_uid="participants.places_recount_on_delete")
def recount_places(sender, instance: Enrolment, **kwargs) -> None:
    places_recount(cohort_ids=[instance.cohort_id])
