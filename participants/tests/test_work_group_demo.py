"""The Work Groups `make run` shows: an open Mastering Number Work Group with schools' teams, a
running Development Work Group with registers taken and grants owed, and Embedding signed up
for by a school with a completed Development year and refused to another; made once."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from applications.models import Application
from cohorts.models import Cohort
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from participants.models import Attendance, Enrolment, GrantClaim, SchoolPlace
from programmes.models import Programme, RoleSlot
from programmes.services import catalogue_load
from schools.models import SchoolProgrammeYear
from schools.selectors import school_prerequisites_check

pytestmark = pytest.mark.django_db

MASTERING_NUMBER = "maths-hub-mastering-number"
DEVELOPMENT = "maths-hub-primary-development-work-group"
EMBEDDING = "maths-hub-teaching-for-mastery-embedding"
LPM = "npq-leading-primary-mathematics"


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    catalogue_load()

    def load():
        call_command("load_demo_data", stdout=io.StringIO())

    return load


def _work_group(slug):
    return Cohort.objects.get(programme__slug=slug)


def _counts():
    return (
        Application.objects.filter(team=True).count(),
        SchoolPlace.objects.count(),
        Enrolment.objects.count(),
        Attendance.objects.count(),
        GrantClaim.objects.count(),
        SchoolProgrammeYear.objects.count(),
        RoleSlot.objects.count(),
    )


def test_the_demo_has_an_open_mastering_number_work_group_with_teams(demo):
    demo()

    cohort = _work_group(MASTERING_NUMBER)
    assert cohort.status == Cohort.Status.OPEN and cohort.programme.for_school_teams
    places = SchoolPlace.objects.filter(cohort=cohort)
    assert places.count() == 3 == cohort.places_taken  # counted in schools
    for place in places:
        assert {m.role_slot.label for m in place.members.all()} >= {
            "Reception lead teacher",
            "Year 1 lead teacher",
            "Year 2 lead teacher",
        }
    waiting = Application.objects.get(cohort=cohort, status=Application.Status.AWAITING_SCHOOL)
    assert (waiting.team, waiting.school.urn, waiting.approver_email) == (
        True,
        123456,
        "head@demo.example",
    )
    assert waiting.applicant.email == "teacher@demo.example"


def test_the_demo_has_a_running_development_work_group_with_registers_and_grants(demo):
    demo()

    cohort = _work_group(DEVELOPMENT)
    assert cohort.status == Cohort.Status.RUNNING
    assert cohort.sessions.count() == 6
    members = Enrolment.objects.filter(cohort=cohort)
    assert members.filter(role_slot__kind=RoleSlot.Kind.LEAD).count() == 6  # two a school
    assert all(m.school_place_id for m in members)
    past = cohort.sessions.filter(starts_at__lt=timezone.now()).count()
    assert Attendance.objects.filter(session__cohort=cohort).count() == past * members.count()
    claims = GrantClaim.objects.filter(school_place__cohort=cohort)
    assert [claim.amount for claim in claims] == [1000, 1000, 1000]


def test_the_demo_has_one_school_signed_up_for_embedding_and_one_refused(demo):
    demo()

    cohort = _work_group(EMBEDDING)
    signed_up = Application.objects.get(cohort=cohort, status=Application.Status.SCHOOL_APPROVED)
    refused = Application.objects.get(cohort=cohort, status=Application.Status.REJECTED)
    assert signed_up.school.programme_years.get(programme__slug=DEVELOPMENT).status == "completed"
    assert school_prerequisites_check(
        school=signed_up.school, programme=cohort.programme, academic_year=cohort.academic_year
    ).met
    reason = refused.events.get(to_status=Application.Status.REJECTED).reason
    assert reason.startswith("Embedding needs Development")
    assert "no completed Development" in reason


def test_the_demo_loads_its_work_groups_once(demo):
    demo()
    first = _counts()

    demo()

    assert _counts() == first
    assert first[0] == 9  # four Mastering Number sign-ups, three Development, two Embedding


def test_the_demo_names_people_in_the_catalogues_own_slots_when_it_has_them(demo):
    programme = Programme.objects.get(slug=MASTERING_NUMBER)
    programme.role_slots.all().delete()  # these, whatever the catalogue's defaults are
    for position, (label, kind) in enumerate(
        [
            ("Reception lead teacher", RoleSlot.Kind.LEAD),
            ("Year 1 lead teacher", RoleSlot.Kind.LEAD),
            ("Year 2 lead teacher", RoleSlot.Kind.LEAD),
            ("Maths lead", RoleSlot.Kind.SUPPORTING),
            ("Headteacher", RoleSlot.Kind.SUPPORTING),
        ]
    ):
        RoleSlot.objects.create(
            programme=programme,
            position=position,
            label=label,
            kind=kind,
            required=label == "Headteacher",
        )

    demo()

    assert programme.role_slots.count() == 5  # the demo added none of its own
    place = SchoolPlace.objects.filter(cohort__programme=programme).first()
    assert [m.role_slot.label for m in place.members.order_by("role_slot__position")] == [
        "Reception lead teacher",
        "Year 1 lead teacher",
        "Year 2 lead teacher",
        "Headteacher",
    ]


def test_the_demo_teachers_npqlpm_answer_is_evidenced_by_oakfields_development_year(demo):
    demo()

    application = Application.objects.get(
        applicant__email="teacher@demo.example", cohort__programme__slug=LPM
    )
    assert application.answers["mastery_evidence"].startswith(
        "Your school completed Development in "
    )


def test_staff_can_open_every_work_group_sign_up_of_the_demo(demo, client):
    demo()
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    pages = [client.get(a.get_absolute_url()) for a in Application.objects.filter(team=True)]

    assert len(pages) == 9 and all(page.status_code == 200 for page in pages)
