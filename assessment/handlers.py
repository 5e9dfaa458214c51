"""Receivers for the signals of apps to the left (participants), connected in ready()."""

from django.dispatch import receiver

from participants.signals import enrolment_transferred, enrolment_withdrawn

from .services import assessment_carry_over, submissions_void_for


@receiver(enrolment_withdrawn, dispatch_uid="assessment.void_withdrawn_submissions")
def void_withdrawn_submissions(sender, enrolment, **kwargs) -> None:
    submissions_void_for(enrolment=enrolment)


@receiver(enrolment_transferred, dispatch_uid="assessment.carry_over_transferred_work")
def carry_over_transferred_work(sender, old, new, **kwargs) -> None:
    assessment_carry_over(old=old, new=new)
