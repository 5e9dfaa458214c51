"""Receivers for the lower apps' signals: what DfE must hear of, queued in the same transaction.

Connected in DfeConfig.ready(). Each calls one service of dfe/decisions.py, which does nothing
unless the application is linked to DfE and its cohort is covered by a switched-on connection.
"""

from django.dispatch import receiver

from applications.models import Application
from applications.signals import application_decided
from assessment.signals import outcome_released
from funding.signals import funding_decision_changed
from participants.signals import (
    enrolment_deferred,
    enrolment_resumed,
    enrolment_transferred,
    enrolment_withdrawn,
)

from .decisions import (
    application_decision_send,
    enrolment_deferral_send,
    enrolment_resumption_send,
    enrolment_transfer_send,
    enrolment_withdrawal_send,
    funded_place_change_send,
    outcome_send_if_due,
)


@receiver(application_decided, dispatch_uid="dfe.send_application_decision")
def send_application_decision(sender, application, status, **kwargs) -> None:
    application_decision_send(application=application, status=status, by=kwargs.get("by"))


@receiver(enrolment_deferred, dispatch_uid="dfe.send_deferral")
def send_deferral(sender, enrolment, **kwargs) -> None:
    enrolment_deferral_send(
        enrolment=enrolment, reason=kwargs.get("reason") or "", by=kwargs.get("by")
    )


@receiver(enrolment_resumed, dispatch_uid="dfe.send_resumption")
def send_resumption(sender, enrolment, **kwargs) -> None:
    enrolment_resumption_send(enrolment=enrolment, by=kwargs.get("by"))


@receiver(enrolment_withdrawn, dispatch_uid="dfe.send_withdrawal")
def send_withdrawal(sender, enrolment, **kwargs) -> None:
    enrolment_withdrawal_send(
        enrolment=enrolment, reason=kwargs.get("reason") or "", by=kwargs.get("by")
    )


@receiver(enrolment_transferred, dispatch_uid="dfe.send_change_of_schedule")
def send_change_of_schedule(sender, old, new, **kwargs) -> None:
    enrolment_transfer_send(old=old, new=new, by=kwargs.get("by"))


@receiver(outcome_released, dispatch_uid="dfe.send_outcome")
def send_outcome(sender, outcome, enrolment, **kwargs) -> None:
    outcome_send_if_due(enrolment=enrolment)


@receiver(funding_decision_changed, dispatch_uid="dfe.send_funded_place_change")
def send_funded_place_change(sender, decision, **kwargs) -> None:
    linked = Application.objects.filter(funding_decision=decision, dfe__isnull=False)
    for application in linked.order_by("pk"):
        funded_place_change_send(application=application, by=kwargs.get("by"))
