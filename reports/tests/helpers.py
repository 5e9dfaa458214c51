"""Shared set-up for the reports tests: a DfE-funded cohort with registers, phases and results."""

import datetime
import itertools

import time_machine

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from assessment.models import Outcome
from assessment.tests.factories import AssessmentWindowFactory, SubmissionFactory
from cohorts.tests.factories import CohortFactory, ModuleWindowFactory, SessionFactory
from funding.models import FundingDecision
from participants.services import module_phase_set, register_take
from participants.tests.factories import EnrolmentFactory
from programmes.models import Programme
from programmes.tests.factories import ProgrammeFactory

UTC = datetime.UTC
_identifiers = itertools.count(1)


def leadership_cohort(**kwargs):
    """An 18-month leadership NPQ cohort, 1 October 2027 to 31 March 2029: its milestones are
    started 22 December 2027, retained-1 6 May 2028, retained-2 17 October 2028 and completed
    29 July 2029 (reports/milestones.py)."""
    programme = ProgrammeFactory(
        course_identifier=f"npq-test-leadership-{next(_identifiers)}",
        family=Programme.Family.LEADERSHIP,
        length="18 months",
        length_months=18,
    )
    defaults = {
        "academic_year": 2027,
        "starts_on": datetime.date(2027, 10, 1),
        "ends_on": datetime.date(2029, 3, 31),
    }
    return CohortFactory(programme=programme, **{**defaults, **kwargs})


def at(year, month, day, hour=16):
    return datetime.datetime(year, month, day, hour, 0, tzinfo=UTC)


def session(cohort, when: datetime.datetime, **kwargs):
    return SessionFactory(
        cohort=cohort,
        starts_at=when,
        ends_at=when + datetime.timedelta(hours=1, minutes=30),
        **kwargs,
    )


def take_register(session, marks: dict, by=None) -> None:
    """Take the register on the day, marks by enrolment; anyone left out is absent."""
    with time_machine.travel(session.starts_at + datetime.timedelta(hours=1)):
        register_take(session=session, marks={e.pk: mark for e, mark in marks.items()}, by=by)


def module_window(cohort, title="Culture and Learning", **dates):
    return ModuleWindowFactory(cohort=cohort, module__title=title, **dates)


def finish_phase(enrolment, window, phase: str, on: datetime.datetime) -> None:
    with time_machine.travel(on):
        module_phase_set(
            enrolment=enrolment,
            module=window.module,
            phase=phase,
            done=True,
            by=enrolment.participant,
        )


def released_outcome(enrolment, result: str, released_at: datetime.datetime | None):
    """An outcome of a marked submission, released (or not yet) at the time given."""
    window = AssessmentWindowFactory(programme=enrolment.cohort.programme)
    submission = SubmissionFactory(enrolment=enrolment, window=window)
    return Outcome.objects.create(
        submission=submission,
        enrolment=enrolment,
        window=window,
        attempt=1,
        result=result,
        basis=Outcome.Basis.FIRST_MARK,
        decided_at=released_at or at(2028, 7, 1),
        released_at=released_at,
    )


def funded_decision() -> FundingDecision:
    return FundingDecision.objects.create(
        subject="applications.application:0",
        rules="2026",
        facts={},
        status="funded",
        funded=True,
        reason="Funded.",
    )


def funded_place(cohort, participant, **fields):
    """A place made from an accepted application whose funding decision is funded: a place
    DfE pays declarations on, which the milestone page lists by default."""
    application = ApplicationFactory(
        applicant=participant,
        cohort=cohort,
        status=Application.Status.ACCEPTED,
        funding_decision=funded_decision(),
    )
    return EnrolmentFactory(
        cohort=cohort, participant=participant, application=application, **fields
    )
