"""Receivers for the signals of apps to the left (participants), connected in ready()."""

from django.dispatch import receiver

from participants.signals import enrolment_withdrawn

from .services import submissions_void_for


@receiver(enrolment_withdrawn, dispatch_uid="assessment.void_withdrawn_submissions")
def void_withdrawn_submissions(sender, enrolment, **kwargs) -> None:
    submissions_void_for(enrolment=enrolment)
