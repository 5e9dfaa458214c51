"""Changes of every kind the audit log reads, made through the services that record them."""

import datetime
import io

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.models import Application
from applications.services import application_withdraw
from applications.tests.factories import ApplicationFactory
from assessment.models import Outcome, Submission
from assessment.services import deadline_extend
from assessment.tests.factories import AssessmentWindowFactory, EligibilityExceptionFactory
from cohorts.models import Cohort, Session
from cohorts.services import cohort_move, session_cancel
from cohorts.tests.factories import CohortFactory, SessionFactory
from funding.models import FundingDecision
from funding.services import funding_decision_override
from npq_portal.models import PersonalDataRequest, User
from npq_portal.roles import Role
from npq_portal.services import user_set_roles
from npq_portal.tests.factories import UserFactory
from participants.models import Enrolment
from participants.services import enrolment_change, register_take
from participants.tests.factories import EnrolmentFactory
from programmes.tests.factories import ProgrammeFactory
from reports.services import export_build, export_start
from schools.services import eligibility_list_upload, gias_import_start, school_leader_confirm
from schools.tests.factories import SchoolFactory


def every_kind_of_change(*, admin: User) -> dict:
    """One change of each kind the log shows, each made by `admin` where a person makes it."""
    programme = ProgrammeFactory(short_name="NPQLPM")
    cohort = CohortFactory(programme=programme, name="Cheshire autumn")
    made = {}

    learner = UserFactory(first_name="Priya", last_name="Shah", email="priya@oakfield.example")
    user_set_roles(user=learner, roles=[Role.FACILITATOR], by=admin, reason="Runs the clinics")
    made["role-changes"] = learner
    made["school-leaders"] = school_leader_confirm(
        user=UserFactory(first_name="Helen", last_name="Whitfield"),
        school=SchoolFactory(name="Oakfield Primary School"),
        by=admin,
    )

    cohort_move(cohort=cohort, to=Cohort.Status.OPEN, by=admin, reason="Ready to recruit")
    made["cohort-statuses"] = cohort

    session = SessionFactory(cohort=cohort, title="Clinic 1: Culture")
    session_cancel(session=session, by=admin, reason="Venue flooded")
    made["sessions"] = session

    application = ApplicationFactory(cohort=cohort, status=Application.Status.DRAFT)
    application_withdraw(application=application, by=admin, reason="Applied twice by mistake")
    made["applications"] = application

    place = EnrolmentFactory(cohort=cohort, participant=learner)
    past = SessionFactory(
        cohort=cohort,
        title="Conference",
        starts_at=timezone.now() - datetime.timedelta(days=3),
        ends_at=timezone.now() - datetime.timedelta(days=3, hours=-2),
        status=Session.Status.SCHEDULED,
    )
    register_take(session=past, marks={place.pk: "absent"}, by=admin)
    register_take(session=past, marks={place.pk: "present"}, by=admin, reason="Signed in late")
    made["attendance"] = past
    enrolment_change(
        enrolment=place, to=Enrolment.Status.DEFERRED, by=admin, reason="parental_leave"
    )
    made["places"] = place

    funded = ApplicationFactory(cohort=cohort)
    decision = FundingDecision.objects.create(
        subject=f"applications.application:{funded.pk}",
        rules="2026",
        facts={},
        status="not_in_england",
        funded=False,
        reason="Works outside England",
    )
    funding_decision_override(
        decision=decision, funded=True, reason="Checked the school's census", by=admin
    )
    made["funding"] = funded

    made["gias"] = gias_import_start(
        upload=SimpleUploadedFile("edubasealldata20271109.csv", b"URN\n"), by=admin
    )
    made["eligibility-lists"] = eligibility_list_upload(
        kind="rise", source=io.BytesIO(b"URN\n100001\n"), file_name="rise-2027.csv", by=admin
    )

    window = AssessmentWindowFactory(programme=programme, cohort=cohort, title="Summer 2028")
    made["assessment-exceptions"] = EligibilityExceptionFactory(
        window=window, enrolment=place, granted_by=admin, reason="Ill for two clinics"
    )
    assessed = EnrolmentFactory(cohort=cohort)
    made["deadline-extensions"] = deadline_extend(
        window=window,
        enrolment=assessed,
        until=window.closes_at + datetime.timedelta(days=3),
        by=admin,
        reason="Bereavement leave",
    )
    submission = Submission.objects.create(
        enrolment=assessed, window=window, status="submitted", submitted_at=window.opens_at
    )
    made["outcomes"] = Outcome.objects.create(
        submission=submission,
        enrolment=assessed,
        window=window,
        attempt=1,
        result=Outcome.Result.PASSED,
        basis=Outcome.Basis.RESOLVED,
        reason="Second marker's view preferred",
        decided_by=admin,
    )

    made["exports"] = export_start(
        user=admin, kind="applications", file_format="csv", filters={}, rows_total=2
    )
    export_build(export=made["exports"])  # recorded once its file is made
    made["personal-data"] = PersonalDataRequest.objects.create(
        kind=PersonalDataRequest.Kind.ERASURE,
        person_id=learner.pk,
        by=admin,
        reason="Asked to be forgotten",
        summary={"applications": 1, "emails": 3},
    )
    LogEntry.objects.log_actions(
        user_id=admin.pk,
        queryset=[programme],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": ["Name"]}}],
    )
    made["django-admin"] = programme
    return made
