"""A teacher with a full history, built through the services, for the privacy tests."""

import datetime
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone

from applications.models import Application
from applications.services import (
    application_accept,
    application_reject,
    application_save_answers,
    application_school_decide,
    application_start,
    application_submit,
)
from assessment.models import Outcome, Submission
from assessment.tests.factories import AssessmentWindowFactory
from cohorts.models import Cohort
from cohorts.services import calendar_feed_get
from cohorts.tests.factories import CohortFactory, ModuleWindowFactory, SessionFactory
from mailing_list.services import subscriber_confirm, subscriber_sign_up
from npq_portal.models import User
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory
from participants.models import Enrolment
from participants.services import enrolment_change, module_phase_set, register_take
from programmes.tests.factories import ProgrammeFactory
from reminders.services import reminders_opt_out
from schools.tests.factories import SchoolFactory

NOW = timezone.now()
# What identifies the teacher: none of it may be left anywhere after erasure.
EMAIL = "harriet.okonkwo@brookfield.example"
FIRST_NAME = "Harriet"
LAST_NAME = "Okonkwo"
TRN = "7654321"
HEADTEACHER = "Desmond Featherstonehaugh"
HEADTEACHER_EMAIL = "d.featherstonehaugh@brookfield.example"
ROLE = "Head of Year 5 and maths lead"
CASE_STUDY = "Zebrafinch project: how my Year 5 class learned fractions"
FEEDBACK = "Thoughtful work on the zebrafinch project."
FILE_TEXT = b"Appendix: the quinquereme worksheet"
PERSONAL = (EMAIL, FIRST_NAME, LAST_NAME, TRN, HEADTEACHER, HEADTEACHER_EMAIL, ROLE)
WRITTEN = ("Zebrafinch", "zebrafinch", "quinquereme")


@dataclass
class History:
    person: User
    admin: User
    application: Application
    rejected: Application
    enrolment: Enrolment
    submission: Submission


def _application(person, cohort, school, staff) -> Application:
    application = application_start(applicant=person, cohort=cohort)
    answers = {
        "works_in_england": "yes",
        "work_setting": "a_school",
        "school_urn": str(school.urn),
        "role": ROLE,
        "trn": TRN,
        "mastery_how": "I led the zebrafinch mastery group.",
        "headteacher_name": HEADTEACHER,
        "headteacher_email": HEADTEACHER_EMAIL,
        "payment": "school",
    }
    application = application_save_answers(application=application, answers=answers)
    application = application_submit(application=application, by=person)
    return application_school_decide(
        application=application,
        approve=True,
        name=HEADTEACHER,
        email=HEADTEACHER_EMAIL,
        comment=f"{FIRST_NAME} is ready for this.",
    )


def teacher_with_history() -> History:
    """A teacher who applied twice (one place, completed; one rejected), attended, worked
    through a module, submitted a case study with a file, got a released result, joined the
    mailing list, stopped reminders and made a calendar feed. Run inside
    django_capture_on_commit_callbacks(execute=True) so the emails are logged."""
    admin = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    person = UserFactory(email=EMAIL, first_name=FIRST_NAME, last_name=LAST_NAME)
    school = SchoolFactory()
    programme = ProgrammeFactory(course_identifier="npq-headship", short_name="NPQH")
    cohort = CohortFactory(programme=programme, status=Cohort.Status.OPEN, capacity=5)
    other = CohortFactory(programme=programme, status=Cohort.Status.OPEN)

    application = _application(person, cohort, school, admin)
    enrolment = application_accept(application=application, by=admin, reason="A strong case")
    rejected = _application(person, other, school, admin)
    rejected = application_reject(
        application=rejected, by=admin, reason=f"{FIRST_NAME} already has a place"
    )

    session = SessionFactory(
        cohort=cohort,
        starts_at=NOW - datetime.timedelta(days=3),
        ends_at=NOW - datetime.timedelta(days=3, hours=-1),
    )
    register_take(session=session, marks={enrolment.pk: "present"}, by=admin)
    today = timezone.localdate()
    window = ModuleWindowFactory(
        cohort=cohort,
        opens_on=today - datetime.timedelta(days=10),
        study_due_on=today,
        application_due_on=today + datetime.timedelta(days=10),
    )
    module_phase_set(enrolment=enrolment, module=window.module, phase="study", done=True, by=person)

    assessment = AssessmentWindowFactory(programme=programme, cohort=cohort)
    submission = Submission.objects.create(
        enrolment=enrolment,
        window=assessment,
        text=CASE_STUDY,
        word_count=9,
        status=Submission.Status.SUBMITTED,
        submitted_at=assessment.opens_at,
        original_filename="zebrafinch-appendix.txt",
    )
    submission.file.save("appendix", ContentFile(FILE_TEXT))
    Outcome.objects.create(
        submission=submission,
        enrolment=enrolment,
        window=assessment,
        attempt=1,
        result=Outcome.Result.PASSED,
        basis=Outcome.Basis.FIRST_MARK,
        feedback=FEEDBACK,
        released_at=NOW,
    )
    enrolment = enrolment_change(
        enrolment=enrolment, to=Enrolment.Status.COMPLETED, by=admin, reason="Passed"
    )

    subscriber = subscriber_sign_up(
        email=EMAIL, first_name=FIRST_NAME, last_name=LAST_NAME, programmes=[programme]
    )
    subscriber_confirm(subscriber=subscriber)
    reminders_opt_out(email=EMAIL)
    calendar_feed_get(owner=person)
    return History(person, admin, application, rejected, enrolment, submission)
