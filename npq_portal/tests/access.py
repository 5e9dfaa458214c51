"""The shared scenario of the access matrix: one hub with two cohorts and someone in every role."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.links import approval_token
from applications.models import Application
from applications.services import application_accept
from applications.tests.factories import ApplicationFactory, team_sign_up
from assessment.models import Marking
from assessment.services import (
    marking_allocate,
    submission_attach_file,
    submission_save_draft,
    submission_submit,
)
from assessment.tests.factories import (
    AssessmentWindowFactory,
    CaseStudyMaterialFactory,
    SubmissionFactory,
    minimal_docx,
)
from cohorts.models import Cohort
from cohorts.services import calendar_feed_get
from cohorts.tests.factories import (
    CohortFactory,
    DeliveryPartnerFactory,
    ModuleWindowFactory,
    SchoolHolidayFactory,
    SessionFactory,
)
from dfe.models import Connection
from mailing_list.links import subscriber_token
from mailing_list.models import Subscriber
from npq_portal.roles import Role
from npq_portal.tests.factories import EmailDeliveryFactory, StaffUserFactory, UserFactory
from participants.models import GrantClaim, SchoolPlace
from participants.services import school_place_save_plan
from participants.tests.factories import ChargeFactory, EnrolmentFactory
from programmes.tests.factories import (
    ClinicFactory,
    CourseFactory,
    ModuleFactory,
    work_group_programme,
)
from reminders.links import reminder_stop_url
from reports.services import export_build, export_start
from reports.tests.factories import ExportFactory
from schools.models import GiasImport, ProgrammeHistoryImport, School, SchoolLeadership
from schools.tests.factories import SchoolFactory


@dataclass
class Scenario:
    """Everyone and everything the matrix's URLs name, by a short key."""

    people: dict[str, object] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def _submitted(enrolment, window, at, *, upload=None) -> object:
    with time_machine.travel(at):
        submission_save_draft(enrolment=enrolment, window=window, text="My case study, in full.")
        if upload is not None:
            submission_attach_file(enrolment=enrolment, window=window, upload=upload)
        return submission_submit(enrolment=enrolment, window=window, by=enrolment.participant)


def scenario_build() -> Scenario:
    """Build the hub: cohort A (facilitator A) with the teacher's place and application,
    cohort B (facilitator B) with another teacher's, and an assessment window open now."""
    now = timezone.now()
    partner = DeliveryPartnerFactory(name="Access matrix hub")
    cohort_a = CohortFactory(
        delivery_partner=partner,
        status=Cohort.Status.OPEN,
        programme__assessment_word_limit=1500,
        programme__course_identifier="npq-leading-primary-mathematics",
    )
    cohort_b = CohortFactory(delivery_partner=partner, status=Cohort.Status.OPEN)
    programme = cohort_a.programme
    course = CourseFactory(programme=programme)
    module = ModuleFactory(course=course)
    clinic = ClinicFactory(course=course)

    school = SchoolFactory(name="Oakfield Primary School")
    other_school = SchoolFactory(name="Beech Lane Primary School")

    people = {
        "teacher": UserFactory(),
        "other_teacher": UserFactory(),
        "school_leader": UserFactory(roles=[Role.SCHOOL_LEADER]),
        "other_school_leader": UserFactory(roles=[Role.SCHOOL_LEADER]),
        "facilitator": StaffUserFactory(roles=[Role.FACILITATOR]),
        "other_facilitator": StaffUserFactory(roles=[Role.FACILITATOR]),
        "assessor": StaffUserFactory(roles=[Role.ASSESSOR]),
        "programme_lead": StaffUserFactory(roles=[Role.PROGRAMME_LEAD]),
        "hub_administrator": StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]),
    }
    SchoolLeadership.objects.create(user=people["school_leader"], school=school)
    SchoolLeadership.objects.create(user=people["other_school_leader"], school=other_school)
    cohort_a.facilitators.add(people["facilitator"])
    cohort_b.facilitators.add(people["other_facilitator"])

    teacher, other_teacher = people["teacher"], people["other_teacher"]
    # The teacher's place came from an accepted application; a second, still a draft, is
    # where the application pages lead.
    accepted = ApplicationFactory(
        applicant=teacher, cohort=cohort_a, school=school, status=Application.Status.ACCEPTED
    )
    enrolment = EnrolmentFactory(participant=teacher, cohort=cohort_a, application=accepted)
    draft = ApplicationFactory(
        applicant=teacher, cohort=cohort_b, school=school, status=Application.Status.DRAFT
    )
    awaiting = ApplicationFactory(
        applicant=other_teacher,
        cohort=cohort_b,
        school=other_school,
        status=Application.Status.AWAITING_SCHOOL,
        approver_email="head@beechlane.example",
    )
    other_enrolment = EnrolmentFactory(participant=other_teacher, cohort=cohort_b)
    charge = ChargeFactory(enrolment=enrolment)  # the teacher's place is not funded
    # A third school's place in a Work Group, with the grant the hub owes it.
    grant_work_group = CohortFactory(programme=work_group_programme(), status=Cohort.Status.RUNNING)
    signed_up = ApplicationFactory(
        cohort=grant_work_group, team=True, status=Application.Status.ACCEPTED, submitted_at=now
    )
    grant_claim = GrantClaim.objects.create(
        school_place=SchoolPlace.objects.create(
            cohort=grant_work_group, school=signed_up.school, application=signed_up
        ),
        amount=1000,
        purpose="Towards cover",
    )

    session_a = SessionFactory(cohort=cohort_a, starts_at=now + datetime.timedelta(days=7))
    session_a.ends_at = session_a.starts_at + datetime.timedelta(hours=1)
    session_a.save()
    module_window_a = ModuleWindowFactory(cohort=cohort_a, module=module)

    window = AssessmentWindowFactory(
        programme=programme,
        cohort=cohort_a,
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now + datetime.timedelta(days=30),
        results_release_at=now + datetime.timedelta(days=60),
    )
    window_b = AssessmentWindowFactory(programme=cohort_b.programme, cohort=cohort_b)
    material = CaseStudyMaterialFactory(window=window)
    SubmissionFactory(enrolment=enrolment, window=window)  # the teacher's draft
    # Two classmates have submitted: one marked by the assessor, one by someone else.
    upload = SimpleUploadedFile("case-study.docx", minimal_docx())
    allocated = _submitted(EnrolmentFactory(cohort=cohort_a), window, now, upload=upload)
    not_allocated = _submitted(EnrolmentFactory(cohort=cohort_a), window, now)
    second_assessor = StaffUserFactory(roles=[Role.ASSESSOR])
    hub_administrator = people["hub_administrator"]
    marking = marking_allocate(
        submission=allocated,
        stage=Marking.Stage.FIRST,
        assessor=people["assessor"],
        by=hub_administrator,
    )
    other_marking = marking_allocate(
        submission=not_allocated,
        stage=Marking.Stage.FIRST,
        assessor=second_assessor,
        by=hub_administrator,
    )

    # A Work Group run by facilitator A: the teacher's school has a place, the teacher is in
    # its team (the school leader signed it up), and its action plan is uploaded.
    work_group = CohortFactory(
        delivery_partner=partner,
        status=Cohort.Status.OPEN,
        programme=work_group_programme("Year 1 lead teacher", "Year 2 lead teacher"),
    )
    work_group.facilitators.add(people["facilitator"])
    sign_up = team_sign_up(cohort=work_group, school=school, applicant=people["school_leader"])
    member = sign_up.team_members.first()
    member.email, member.user = teacher.email, teacher
    member.save()
    school_place = application_accept(application=sign_up, by=people["hub_administrator"])
    school_place_save_plan(
        place=school_place,
        by=teacher,
        text="Our plan.",
        upload=SimpleUploadedFile("plan.txt", b"Our plan, in a file."),
    )
    team_enrolment = school_place.members.get(participant=teacher)
    # The teacher has started signing up a school for the same Work Group: a draft, no school yet.
    team_draft = ApplicationFactory(
        applicant=teacher,
        cohort=work_group,
        school=None,
        team=True,
        status=Application.Status.DRAFT,
    )

    export_done = export_start(
        user=hub_administrator, kind="applications", file_format="csv", filters={}
    )
    export_build(export=export_done)  # its task waits for a commit that never comes
    export = ExportFactory(requested_by=hub_administrator, filters={"status": "draft"})
    gias_import = GiasImport.objects.create(
        file_name="edubasealldata.csv", uploaded_by=hub_administrator, status="done"
    )
    history_import = ProgrammeHistoryImport.objects.create(
        file_name="work-group-years.csv",
        uploaded_by=hub_administrator,
        rows=1,
        report=[
            {
                "row": 2,
                "urn": "999",
                "programme": "Embedding",
                "school_year": "2024/25",
                "completed": "yes",
                "reason": "No school has URN 999.",
            }
        ],
    )
    subscriber = Subscriber.objects.create(
        email="interested@school.example",
        first_name="Jo",
        last_name="Bloggs",
        consent_text="Yes",
        consented_at=now,
    )
    subscriber.programmes.add(programme)
    delivery = EmailDeliveryFactory(recipient=teacher.email)
    school_holiday = SchoolHolidayFactory()

    objects = {
        "delivery": delivery,
        "partner": partner,
        "programme": programme,
        "course": course,
        "module": module,
        "clinic": clinic,
        "cohort_a": cohort_a,
        "cohort_b": cohort_b,
        "team_application": sign_up,
        "team_draft": team_draft,
        "school": school,
        "other_school": other_school,
        "accepted": accepted,
        "draft": draft,
        "awaiting": awaiting,
        "enrolment": enrolment,
        "other_enrolment": other_enrolment,
        "charge": charge,
        "work_group": work_group,
        "school_place": school_place,
        "team_enrolment": team_enrolment,
        "grant_claim": grant_claim,
        "session_a": session_a,
        "module_window_a": module_window_a,
        "term_calendar": school_holiday.calendar,
        "school_holiday": school_holiday,
        "window": window,
        "window_b": window_b,
        "material": material,
        "allocated": allocated,
        "not_allocated": not_allocated,
        "marking": marking,
        "other_marking": other_marking,
        "export": export,
        "export_done": export_done,
        "gias_import": gias_import,
        "history_import": history_import,
        "subscriber": subscriber,
        "approval_token": approval_token(awaiting),
        "confirm_token": subscriber_token(subscriber, "confirm"),
        "manage_token": subscriber_token(subscriber, "manage"),
        "stop_token": reminder_stop_url(teacher.email).rstrip("/").rsplit("/", 1)[-1],
        "teacher_feed": calendar_feed_get(owner=teacher),
        "cohort_feed": calendar_feed_get(cohort=cohort_a),
    }
    # The DfE connection (issue 21): switched off and without a token, so no page calls DfE.
    objects["dfe_connection"] = Connection.objects.create(name="Access matrix lead provider")
    assert School.objects.count() >= 2
    return Scenario(people=people, objects=objects)
