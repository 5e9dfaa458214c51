"""Receivers for the lower apps' signals, in the writer's transaction: what DfE must hear of,
queued; and the reconciliation verdicts a change makes out of date, emptied.

Connected in DfeConfig.ready(). The senders each call one service of dfe/decisions.py, which
does nothing unless the application is linked to DfE and its cohort is covered by a
switched-on connection. The verdict receivers empty (`reconciliation_stale`, one statement)
the verdicts of the linked DfE applications whose comparison reads what changed: either side,
the portal application's cohort, programme, school and funding decision (their names too, as
an acknowledgement holds while both sides say the same words). The ready declarations' kept
counts are made out of date (`ready_stale`) by any change to what they are counted from, and
the reconciliation's kept counts (`reconciliation_counts_stale`) likewise.
"""

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from applications.models import Application
from applications.signals import application_decided
from assessment.signals import outcome_released
from cohorts.models import Cohort
from funding.models import FundingDecision
from funding.signals import funding_decision_changed
from npq_portal.models import User
from npq_portal.signals import rows_written
from participants.signals import (
    enrolment_deferred,
    enrolment_resumed,
    enrolment_transferred,
    enrolment_withdrawn,
)
from programmes.models import Programme
from schools.models import School

from .decisions import (
    application_decision_send,
    enrolment_deferral_send,
    enrolment_resumption_send,
    enrolment_transfer_send,
    enrolment_withdrawal_send,
    funded_place_change_send,
    outcome_send_if_due,
)
from .models import Declaration, DeliveryPartnerLink, DfeApplication
from .ready_counts import ready_stale
from .reconcile import reconciliation_stale
from .reconcile_counts import reconciliation_counts_stale


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


# ---- The reconciliation's kept verdicts -----------------------------------------------------

# What the comparison (dfe/reconcile.py `disagreements`) reads of each portal model: a save
# that names its fields and names none of these changes no verdict.
COMPARED_FIELDS = {
    Application: {"status", "cohort", "cohort_id", "school", "school_id"}
    | {"funding_decision", "funding_decision_id"},
    Cohort: {"academic_year", "name", "programme", "programme_id"},
    Programme: {"course_identifier", "name"},
    School: {"urn", "name"},
}


def _compared(sender, update_fields) -> bool:
    return update_fields is None or not COMPARED_FIELDS[sender].isdisjoint(update_fields)


@receiver(post_save, sender=DfeApplication, dispatch_uid="dfe.verdict_on_dfe_application")
def verdict_on_dfe_application(sender, instance, **kwargs):
    # A link, an unlink, an acknowledgement, or DfE's side saved one at a time.
    reconciliation_stale(DfeApplication.objects.filter(pk=instance.pk))
    instance.disagreeing = None


@receiver(post_save, sender=Application, dispatch_uid="dfe.verdict_on_application")
def verdict_on_application(sender, instance, update_fields=None, **kwargs):
    if _compared(Application, update_fields):
        reconciliation_stale(DfeApplication.objects.filter(application=instance.pk))


@receiver(post_save, sender=FundingDecision, dispatch_uid="dfe.verdict_on_funding_saved")
@receiver(pre_delete, sender=FundingDecision, dispatch_uid="dfe.verdict_on_funding_deleted")
def verdict_on_funding(sender, instance, **kwargs):
    # Before a delete: the applications' link to it is cleared before post_delete.
    reconciliation_stale(DfeApplication.objects.filter(application__funding_decision=instance.pk))


@receiver(post_save, sender=Cohort, dispatch_uid="dfe.verdict_on_cohort")
def verdict_on_cohort(sender, instance, update_fields=None, **kwargs):
    if _compared(Cohort, update_fields):
        reconciliation_stale(DfeApplication.objects.filter(application__cohort=instance.pk))


@receiver(post_save, sender=Programme, dispatch_uid="dfe.verdict_on_programme")
def verdict_on_programme(sender, instance, update_fields=None, **kwargs):
    if _compared(Programme, update_fields):
        reconciliation_stale(
            DfeApplication.objects.filter(application__cohort__programme=instance.pk)
        )


@receiver(post_save, sender=School, dispatch_uid="dfe.verdict_on_school")
def verdict_on_school(sender, instance, update_fields=None, **kwargs):
    if _compared(School, update_fields):
        reconciliation_stale(DfeApplication.objects.filter(application__school=instance.pk))


@receiver(rows_written, dispatch_uid="dfe.verdict_on_rows_written")
def verdict_on_rows_written(sender, **kwargs):
    if sender is School:
        # An import of schools: a school's URN is its key and stays, but its name may change,
        # and an acknowledged school disagreement holds while the portal's side says the same
        # name. Only acknowledged verdicts read names (a few, by an index).
        reconciliation_stale(
            DfeApplication.objects.exclude(acknowledged={}).filter(
                application__school__isnull=False
            )
        )


# ---- The ready declarations' kept counts (dfe/ready_counts.py) -------------------------------


@receiver(post_save, sender=DfeApplication, dispatch_uid="dfe.ready_on_dfe_application_saved")
@receiver(post_delete, sender=DfeApplication, dispatch_uid="dfe.ready_on_dfe_application_gone")
@receiver(post_save, sender=DeliveryPartnerLink, dispatch_uid="dfe.ready_on_partner_saved")
@receiver(post_delete, sender=DeliveryPartnerLink, dispatch_uid="dfe.ready_on_partner_gone")
def ready_on_connection_record(sender, instance, **kwargs):
    ready_stale([instance.connection_id])


@receiver(post_save, sender=Declaration, dispatch_uid="dfe.ready_on_declaration_saved")
@receiver(post_delete, sender=Declaration, dispatch_uid="dfe.ready_on_declaration_gone")
def ready_on_declaration(sender, instance, **kwargs):
    # A live declaration holds its participant, course and type whichever connection has it.
    ready_stale()


# A person's names break a tie between two places of one claim.
NAMES = {"first_name", "last_name"}


@receiver(post_save, sender=User, dispatch_uid="dfe.ready_on_person_saved")
def ready_on_person(sender, instance, created=False, update_fields=None, **kwargs):
    if not created and (update_fields is None or not NAMES.isdisjoint(update_fields)):
        ready_stale()


# ---- The reconciliation's kept counts (dfe/reconcile_counts.py) ------------------------------

# What "only in the portal" reads of a portal application and of a cohort: a save that names
# its fields and names none of these (a draft's answers, say) leaves the counts as they are.
COUNTED_FIELDS = {
    Application: {"status", "cohort", "cohort_id"},
    Cohort: {"academic_year", "programme", "programme_id"},
}


@receiver(post_save, sender=Application, dispatch_uid="dfe.counts_on_application_saved")
def counts_on_application_saved(sender, instance, created=False, update_fields=None, **kwargs):
    if created:
        counted = instance.status != Application.Status.DRAFT
    else:
        counted = update_fields is None or not COUNTED_FIELDS[sender].isdisjoint(update_fields)
    if counted:
        reconciliation_counts_stale()


@receiver(post_save, sender=Cohort, dispatch_uid="dfe.counts_on_cohort_saved")
def counts_on_cohort_saved(sender, instance, created=False, update_fields=None, **kwargs):
    # A new cohort holds no application yet.
    if not created and (
        update_fields is None or not COUNTED_FIELDS[sender].isdisjoint(update_fields)
    ):
        reconciliation_counts_stale()


@receiver(post_delete, sender=Application, dispatch_uid="dfe.counts_on_application_gone")
@receiver(post_save, sender=DfeApplication, dispatch_uid="dfe.counts_on_dfe_application_saved")
@receiver(post_delete, sender=DfeApplication, dispatch_uid="dfe.counts_on_dfe_application_gone")
def counts_on_record(sender, instance, **kwargs):
    reconciliation_counts_stale()
