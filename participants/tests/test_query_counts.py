"""No page of applications, places, schools, registers or the mailing list has a query count
that grows with its rows: each at 10 and at 1,000 (npq_portal/tests/querycount.py). To sweep
another page, add a case to PAGES."""

import datetime

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationEvent
from applications.tests.factories import ApplicationFactory, bulk_applications
from cohorts.models import Cohort, ModuleWindow, Session
from cohorts.tests.factories import CohortFactory, SessionFactory, bulk_cohorts, bulk_sessions
from funding.models import FundingDecision
from mailing_list.models import Subscriber
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, bulk, bulk_people, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow
from participants.models import (
    Attendance,
    AttendanceChange,
    Enrolment,
    EnrolmentEvent,
    KeptCohortGrid,
    ModulePhaseDone,
)
from participants.selectors import grid_stale
from programmes.tests.factories import ModuleFactory, ProgrammeFactory
from schools.models import EligibilityList, EligibilityListEntry, GiasImport, SchoolLeadership
from schools.tests.factories import SchoolFactory, bulk_schools

from .factories import ChargeEventFactory, ChargeFactory, EnrolmentFactory, bulk_enrolments

pytestmark = pytest.mark.django_db
NOW = timezone.now()
WEEKS_AGO = NOW - datetime.timedelta(weeks=6)


def bulk_funding_decisions(count: int, status: str = "funded") -> list[FundingDecision]:
    return FundingDecision.objects.bulk_create(
        FundingDecision(
            subject="applications.application:0",
            rules="2026",
            facts={},
            status=status,
            funded=status == "funded",
            reason="Test",
        )
        for _ in range(count)
    )


def held_sessions(cohort: Cohort, count: int = 3) -> list[Session]:
    """`count` published sessions of `cohort` in the last fortnight (registers can be taken)."""
    return [
        SessionFactory(
            cohort=cohort,
            starts_at=NOW - datetime.timedelta(days=14 - n),
            ends_at=NOW - datetime.timedelta(days=14 - n, hours=-1),
        )
        for n in range(count)
    ]


def module_windows(cohort: Cohort, count: int = 2) -> list[ModuleWindow]:
    """`count` module windows of `cohort`, opened a month ago, one of them now due."""
    today = timezone.localdate()
    return [
        ModuleWindow.objects.create(
            cohort=cohort,
            module=ModuleFactory(course__programme=cohort.programme),
            opens_on=today - datetime.timedelta(days=30),
            study_due_on=today - datetime.timedelta(days=20 - 20 * n),
            application_due_on=today - datetime.timedelta(days=10 - 20 * n),
        )
        for n in range(count)
    ]


def places_with_progress(cohort, count, sessions, windows):
    """`count` places joined six weeks ago, marked on every register (one absence each) and
    with the study phase of every module finished."""
    places = bulk_enrolments(count, cohort=cohort, created_at=WEEKS_AGO)
    Attendance.objects.bulk_create(
        Attendance(session=session, enrolment=place, mark="absent" if n == 0 else "present")
        for place in places
        for n, session in enumerate(sessions)
    )
    ModulePhaseDone.objects.bulk_create(
        ModulePhaseDone(enrolment=place, module_id=window.module_id, phase="study")
        for place in places
        for window in windows
    )
    return places


# ---- Staff: applications, schools, funding lists, mailing list ----


def review_queue(client):
    """Each application to a cohort of its own, half with a funding decision: the cohort,
    programme and year filters list them all."""
    sign_in(client, StaffUserFactory())
    programme = ProgrammeFactory()

    def add_applications(count):
        cohorts = bulk_cohorts(count, programme=programme)
        decisions = bulk_funding_decisions(count)
        bulk_applications(
            count,
            cohort=factory.Iterator(cohorts),
            funding_decision=factory.Iterator([*decisions[: count // 2], None]),
        )

    return reverse("applications:application-list"), add_applications


def review_queue_filtered(client):
    sign_in(client, StaffUserFactory())
    cohort = CohortFactory()
    url = reverse("applications:application-list") + (
        f"?status=awaiting_school&programme={cohort.programme.slug}&year=2027"
        f"&partner={cohort.delivery_partner_id}&cohort={cohort.pk}&funding=funded&q=oakfield"
    )

    def add_applications(count):
        decisions = bulk_funding_decisions(count)
        bulk_applications(count, cohort=cohort, funding_decision=factory.Iterator(decisions))

    return url, add_applications


def application_page(client):
    """An application's history: its status changes, the places it made (a place moved on by
    each transfer) with their own changes, and the cohorts of the programme to transfer to."""
    sign_in(client, StaffUserFactory())
    application = ApplicationFactory(status=Application.Status.ACCEPTED)
    programme, by = application.cohort.programme, StaffUserFactory(totp=False)
    EnrolmentFactory(
        participant=application.applicant, cohort=application.cohort, application=application
    )

    def add_history(count):
        ApplicationEvent.objects.bulk_create(
            ApplicationEvent(
                application=application, from_status="draft", to_status="accepted", by=by
            )
            for _ in range(count)
        )
        places = bulk(
            EnrolmentFactory,
            count,
            participant=application.applicant,
            application=application,
            cohort=factory.Iterator(bulk_cohorts(count, programme=programme)),
            status=Enrolment.Status.WITHDRAWN,
        )
        EnrolmentEvent.objects.bulk_create(
            EnrolmentEvent(enrolment=place, from_status="active", to_status="withdrawn", by=by)
            for place in places
        )
        bulk_cohorts(count, programme=programme, status=Cohort.Status.OPEN)

    return application.get_absolute_url(), add_history


def school_list(client):
    sign_in(client, StaffUserFactory())
    return reverse("schools:school-list"), bulk_schools


def school_list_searched(client):
    sign_in(client, StaffUserFactory())
    return reverse("schools:school-list") + "?q=oakfield primary", bulk_schools


def school_search_autocomplete(client):
    """The public JSON search forms use: its first ten, so the newest sort first."""

    def add_schools(count):
        bulk_schools(count, name=factory.Sequence(lambda n: f"Oakfield School {10**6 - n}"))

    return reverse("schools:school-search") + "?q=oakfield", add_schools


def school_leaders(client):
    sign_in(client, StaffUserFactory())
    school, confirmed_by = SchoolFactory(), StaffUserFactory(totp=False)

    def add_leaders(count):
        SchoolLeadership.objects.bulk_create(
            SchoolLeadership(user=person, school=school, confirmed_by=confirmed_by)
            for person in bulk_people(count, role=Role.SCHOOL_LEADER)
        )

    return reverse("schools:school-leaders", args=[school.urn]), add_leaders


def gias_imports(client):
    sign_in(client, StaffUserFactory())
    uploaded_by = StaffUserFactory(totp=False)

    def add_imports(count):
        GiasImport.objects.bulk_create(
            GiasImport(file_name=f"edubasealldata{n}.csv", uploaded_by=uploaded_by, status="done")
            for n in range(count)
        )

    return reverse("schools:gias-import"), add_imports


def eligibility_lists(client):
    """Every earlier version of a list, with its uploader and entries."""
    sign_in(client, StaffUserFactory())
    uploaded_by = StaffUserFactory(totp=False)

    def add_versions(count):
        versions = EligibilityList.objects.bulk_create(
            EligibilityList(
                kind=kind,
                file_name="pp50.csv",
                uploaded_by=uploaded_by,
                uploaded_at=NOW,
                entry_count=1,
                is_current=False,
            )
            for kind in (EligibilityList.Kind.values * count)[:count]
        )
        EligibilityListEntry.objects.bulk_create(
            EligibilityListEntry(eligibility_list=version, identifier=str(140000 + n))
            for n, version in enumerate(versions)
        )

    return reverse("funding:eligibility-lists"), add_versions


def funding_what_changes(client):
    sign_in(client, StaffUserFactory())
    url = reverse("funding:funding-what-changes") + "?rules=2026&with_current_lists=on"
    return url, lambda count: bulk_funding_decisions(count, status="not_in_england")


def subscriber_report(client):
    """Confirmed subscribers, each interested in a programme of their own."""
    sign_in(client, StaffUserFactory())

    def add_subscribers(count):
        start = Subscriber.objects.count()
        programmes = bulk(ProgrammeFactory, count)
        subscribers = Subscriber.objects.bulk_create(
            Subscriber(
                email=f"reader{n}@interest.example",
                first_name="Jo",
                last_name="Bloggs",
                consent_text="Yes",
                consented_at=NOW,
                confirmed_at=NOW,
            )
            for n in range(start, start + count)
        )
        Subscriber.programmes.through.objects.bulk_create(
            Subscriber.programmes.through(subscriber_id=subscriber.pk, programme_id=programme.pk)
            for subscriber, programme in zip(subscribers, programmes, strict=True)
        )

    return reverse("mailing_list:subscriber-report"), add_subscribers


def reminders_upcoming(client):
    """Session reminders, module windows opening and waiting-list offers running out."""
    sign_in(client, StaffUserFactory())
    cohort = CohortFactory(status=Cohort.Status.RUNNING)
    today = timezone.localdate()

    def add_reminders(count):
        bulk_sessions(
            cohort,
            count,
            start=NOW + datetime.timedelta(days=3),
            apart=datetime.timedelta(minutes=1),
        )
        ModuleWindow.objects.bulk_create(
            ModuleWindow(
                cohort=cohort,
                module=module,
                opens_on=today + datetime.timedelta(days=2),
                study_due_on=today + datetime.timedelta(days=20),
                application_due_on=today + datetime.timedelta(days=40),
            )
            for module in bulk(ModuleFactory, count, course=ModuleFactory().course)
        )
        bulk_applications(
            count,
            cohort=cohort,
            status=Application.Status.WAITLISTED,
            offer_expires_at=NOW + datetime.timedelta(hours=12),
        )

    return reverse("reminders:reminders-upcoming"), add_reminders


# ---- Staff: registers and progress ----


def cohort_progress_grid(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    sign_in(client, facilitator)
    cohort = CohortFactory(starts_on=WEEKS_AGO.date(), status=Cohort.Status.RUNNING)
    cohort.facilitators.add(facilitator)
    sessions, windows = held_sessions(cohort), module_windows(cohort)

    def add_places(count):
        places_with_progress(cohort, count, sessions, windows)

    # Worked out afresh each time (the places and marks are written in bulk, saying nothing).
    afresh = KeptCohortGrid.objects.all().delete
    return reverse("participants:cohort-progress", args=[cohort.pk]), add_places, afresh


def cohort_progress_grid_at_risk(client):
    url, add_places, afresh = cohort_progress_grid(client)
    return url + "?show=at-risk", add_places, afresh


def cohort_progress_grid_kept(client):
    """The grid drawn from its kept figures, kept just before each request."""
    url, add_places, _ = cohort_progress_grid(client)

    def kept():
        grid_stale()
        client.get(url)

    return url, add_places, kept


def session_register(client):
    """A taken register, with its corrections."""
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    sign_in(client, facilitator)
    cohort = CohortFactory(starts_on=WEEKS_AGO.date(), status=Cohort.Status.RUNNING)
    cohort.facilitators.add(facilitator)
    (session,) = held_sessions(cohort, 1)

    def add_places(count):
        places_with_progress(cohort, count, [session], [])
        AttendanceChange.objects.bulk_create(
            AttendanceChange(
                attendance=mark,
                from_mark="absent",
                to_mark="present",
                by=facilitator,
                reason="Late",
            )
            for mark in Attendance.objects.filter(session=session).order_by("-pk")[:count]
        )

    return reverse("participants:session-register", args=[session.pk]), add_places


def enrolment_progress_for_staff(client):
    """One place's page: every module and session of its cohort."""
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    sign_in(client, facilitator)
    place = EnrolmentFactory(created_at=WEEKS_AGO)
    place.cohort.facilitators.add(facilitator)

    def add_timetable(count):
        timetable_with_progress(place, count)

    return reverse("participants:enrolment-progress-staff", args=[place.pk]), add_timetable


def timetable_with_progress(place, count):
    """`count` held sessions attended and `count` modules studied, in a course for every ten."""
    from programmes.tests.factories import CourseFactory

    courses = bulk(CourseFactory, max(count // 10, 1), programme=place.cohort.programme)
    modules = bulk(ModuleFactory, count, course=factory.Iterator(courses))
    today = timezone.localdate()
    ModuleWindow.objects.bulk_create(
        ModuleWindow(
            cohort=place.cohort,
            module=module,
            opens_on=today - datetime.timedelta(days=30),
            study_due_on=today - datetime.timedelta(days=20),
            application_due_on=today + datetime.timedelta(days=10),
        )
        for module in modules
    )
    ModulePhaseDone.objects.bulk_create(
        ModulePhaseDone(enrolment=place, module=module, phase="study") for module in modules
    )
    sessions = bulk(
        SessionFactory,
        count,
        cohort=place.cohort,
        course=factory.Iterator(courses),
        status=Session.Status.SCHEDULED,
        starts_at=NOW - datetime.timedelta(days=7),
        ends_at=NOW - datetime.timedelta(days=7, hours=-1),
    )
    Attendance.objects.bulk_create(
        Attendance(session=session, enrolment=place, mark="present") for session in sessions
    )


# ---- Teachers and school leaders ----


def teacher_home(client):
    """Their applications, places (with participation) and next sessions."""
    teacher = UserFactory()
    sign_in(client, teacher)

    def add_applications_and_places(count):
        cohorts = bulk_cohorts(count, programme=ProgrammeFactory())
        bulk(
            ApplicationFactory,
            count,
            applicant=teacher,
            cohort=factory.Iterator(cohorts),
            school=SchoolFactory(),
            funding_decision=factory.Iterator(bulk_funding_decisions(count)),
        )
        bulk(EnrolmentFactory, count, participant=teacher, cohort=factory.Iterator(cohorts))
        bulk_sessions(cohorts[0], count)

    return reverse("participants:teacher-home"), add_applications_and_places


def teachers_progress(client):
    place = EnrolmentFactory(created_at=WEEKS_AGO)
    sign_in(client, place.participant)
    url = reverse("participants:my-progress", args=[place.pk])
    return url, lambda count: timetable_with_progress(place, count)


def teachers_calendar(client):
    teacher = UserFactory()
    sign_in(client, teacher)

    def add_sessions(count):
        cohorts = bulk_cohorts(count)
        bulk(EnrolmentFactory, count, participant=teacher, cohort=factory.Iterator(cohorts))
        for cohort in cohorts[:3]:
            bulk_sessions(cohort, count)

    return reverse("cohorts:my-calendar"), add_sessions


def school_leader_home(client):
    """Their school's applicants, each with a place, its participation and next sessions."""
    leader = UserFactory(roles=[Role.SCHOOL_LEADER])
    sign_in(client, leader)
    school = SchoolFactory()
    SchoolLeadership.objects.create(user=leader, school=school)
    cohort = CohortFactory(starts_on=WEEKS_AGO.date(), status=Cohort.Status.RUNNING)
    sessions, windows = held_sessions(cohort), module_windows(cohort)
    bulk_sessions(cohort, 3)

    def add_applicants(count):
        applications = bulk_applications(
            count, cohort=cohort, school=school, status=Application.Status.ACCEPTED
        )
        places = places_with_progress(cohort, count, sessions, windows)
        for place, application in zip(places, applications, strict=True):
            place.application = application
        type(places[0]).objects.bulk_update(places, ["application"])

    return reverse("participants:school-leader-home"), add_applicants


def charges_list(client):
    """Charges for places in cohorts of their own, each with a change by a member of staff:
    the cohort and programme filters list them all, and each row shows its last change."""
    staff = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    sign_in(client, staff)
    programme = ProgrammeFactory()

    def add_charges(count):
        cohorts = bulk_cohorts(count, programme=programme)
        places = bulk_enrolments(count, cohort=factory.Iterator(cohorts))
        charges = bulk(ChargeFactory, count, enrolment=factory.Iterator(places))
        bulk(
            ChargeEventFactory,
            count,
            charge=factory.Iterator(charges),
            from_status="to_invoice",
            to_status="invoiced",
            by=staff,
        )

    return reverse("participants:charge-list"), add_charges


PAGES = [
    review_queue,
    review_queue_filtered,
    application_page,
    school_list,
    school_list_searched,
    school_search_autocomplete,
    school_leaders,
    gias_imports,
    eligibility_lists,
    funding_what_changes,
    subscriber_report,
    reminders_upcoming,
    cohort_progress_grid,
    cohort_progress_grid_at_risk,
    cohort_progress_grid_kept,
    session_register,
    enrolment_progress_for_staff,
    teacher_home,
    teachers_progress,
    teachers_calendar,
    school_leader_home,
    charges_list,
]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.__name__)
def test_the_query_count_does_not_grow_with_the_rows(client, page):
    url, add_rows, *before_each = page(client)

    assert_queries_do_not_grow(
        client, url, add_rows, page=page.__name__, before_each=next(iter(before_each), None)
    )
