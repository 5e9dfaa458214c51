"""What reports does when other apps' rows change: the milestone days kept for a cohort's
places are marked out of date when anything they are worked out from changes
(reports/milestone_days.py). Each receiver moves the cohorts' versions on in one statement,
in the writer's transaction, and the milestones' version with them, so milestone pages' kept
listings are read again. The Work Group roster's kept pages are read again once anything
the roster reads changes: its version moves on (reports/engagement.py `roster_stale`)."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from applications.models import Application
from assessment.models import Outcome
from cohorts.models import Cohort, ModuleWindow, Session
from funding.models import FundingDecision
from npq_portal.signals import on_saves_and_deletions, rows_written
from participants.models import (
    Attendance,
    Enrolment,
    EnrolmentEvent,
    ModulePhaseDone,
    SchoolPlace,
)
from programmes.models import Programme
from schools.models import LocalAuthority, School

from .engagement import roster_stale
from .milestone_days import milestones_listing_stale, milestones_stale
from .models import CohortMilestones


def _cohorts_of_place(enrolment_id: int):
    return Cohort.objects.filter(enrolments=enrolment_id)


@receiver(post_save, sender=Attendance, dispatch_uid="reports.milestones_on_mark_saved")
@receiver(post_delete, sender=Attendance, dispatch_uid="reports.milestones_on_mark_deleted")
def milestones_on_mark(sender, instance, **kwargs):
    milestones_stale(cohorts=Cohort.objects.filter(sessions=instance.session_id))


@receiver(post_save, sender=Session, dispatch_uid="reports.milestones_on_session_saved")
@receiver(post_delete, sender=Session, dispatch_uid="reports.milestones_on_session_deleted")
@receiver(post_save, sender=ModuleWindow, dispatch_uid="reports.milestones_on_window_saved")
@receiver(post_delete, sender=ModuleWindow, dispatch_uid="reports.milestones_on_window_deleted")
def milestones_on_timetable(sender, instance, **kwargs):
    milestones_stale(cohorts=[instance.cohort_id])


@receiver(post_save, sender=Cohort, dispatch_uid="reports.milestones_on_cohort_saved")
def milestones_on_cohort(sender, instance, **kwargs):
    milestones_stale(cohorts=[instance.pk])


@receiver(post_delete, sender=Cohort, dispatch_uid="reports.milestones_on_cohort_deleted")
def milestones_on_cohort_deleted(sender, instance, **kwargs):
    """A cohort gone: the milestone pages that listed it list it no more. Its places' and
    sessions' own receivers, run while it was deleted, may have made its row of kept days again
    after the row went with it: that row goes too (else its foreign key fails at commit)."""
    CohortMilestones.objects.filter(cohort=instance.pk).delete()
    milestones_listing_stale()


# Another facilitator's cohort: their milestone pages list it, and the last one's no more.
m2m_changed.connect(
    milestones_listing_stale,
    sender=Cohort.facilitators.through,
    dispatch_uid="reports.milestones_on_facilitators_changed",
)


@receiver(post_save, sender=Programme, dispatch_uid="reports.milestones_on_programme_saved")
def milestones_on_programme(sender, instance, **kwargs):
    milestones_stale(cohorts=Cohort.objects.filter(programme=instance.pk))


@receiver(post_save, sender=Enrolment, dispatch_uid="reports.milestones_on_place_saved")
@receiver(post_delete, sender=Enrolment, dispatch_uid="reports.milestones_on_place_deleted")
def milestones_on_place(sender, instance, **kwargs):
    milestones_stale(cohorts=[instance.cohort_id])


@receiver(post_save, sender=EnrolmentEvent, dispatch_uid="reports.milestones_on_event_saved")
@receiver(post_delete, sender=EnrolmentEvent, dispatch_uid="reports.milestones_on_event_deleted")
@receiver(post_save, sender=Outcome, dispatch_uid="reports.milestones_on_outcome_saved")
@receiver(post_delete, sender=Outcome, dispatch_uid="reports.milestones_on_outcome_deleted")
def milestones_on_place_record(sender, instance, **kwargs):
    milestones_stale(cohorts=_cohorts_of_place(instance.enrolment_id))


@receiver(post_save, sender=ModulePhaseDone, dispatch_uid="reports.milestones_on_phase_saved")
@receiver(post_delete, sender=ModulePhaseDone, dispatch_uid="reports.milestones_on_phase_deleted")
def milestones_on_phase(sender, instance, **kwargs):
    # A phase ticked counts for the person in every place they hold.
    milestones_stale(
        cohorts=Cohort.objects.filter(
            enrolments__participant__enrolments=instance.enrolment_id
        ).distinct()
    )


@receiver(post_save, sender=Application, dispatch_uid="reports.milestones_on_application_saved")
def milestones_on_application(sender, instance, **kwargs):
    # Its funding decision may have been made or replaced: kept beside the days.
    milestones_stale(cohorts=Cohort.objects.filter(enrolments__application=instance.pk))


@receiver(post_save, sender=FundingDecision, dispatch_uid="reports.milestones_on_funding_saved")
def milestones_on_funding(sender, instance, **kwargs):
    milestones_stale(
        cohorts=Cohort.objects.filter(enrolments__application__funding_decision=instance.pk)
    )


@receiver(rows_written, dispatch_uid="reports.milestones_on_rows_written")
def milestones_on_rows_written(sender, cohort_ids, **kwargs):
    milestones_stale(cohorts=cohort_ids)


# ---- The Work Group roster (reports/engagement.py) ----

# What the roster and the hub's area page read besides the sign-ups: every save or deletion
# moves their version on.
ROSTER_READS = (SchoolPlace, Cohort, Programme, School, LocalAuthority)


@receiver(post_save, sender=Application, dispatch_uid="reports.roster_on_sign_up_saved")
@receiver(post_delete, sender=Application, dispatch_uid="reports.roster_on_sign_up_deleted")
def roster_on_sign_up(sender, instance, **kwargs):
    if instance.team:  # a teacher's own application is on no roster
        roster_stale()


on_saves_and_deletions(roster_stale, ROSTER_READS, "reports.roster")


@receiver(rows_written, dispatch_uid="reports.roster_on_rows_written")
def roster_on_rows_written(sender, **kwargs):
    if sender is Application or sender in ROSTER_READS:  # a GIAS import's schools, say
        roster_stale()
