"""Staff decide schools' Work Group sign-ups: the history checked again on accepting, an
override with its reason, and the sign-ups in the programme's priority order."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.selectors import work_group_sign_ups
from applications.services import (
    application_accept,
    application_prerequisites_override,
    application_waitlist,
)
from applications.tests.factories import team_sign_up
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.models import SchoolPlace
from participants.services import school_place_withdraw
from programmes.models import Prerequisite, Programme
from programmes.tests.factories import ProgrammeFactory, work_group_programme
from schools.models import EligibilityList, SchoolProgrammeYear
from schools.services import eligibility_list_upload
from schools.tests.factories import SchoolFactory

A = Application.Status


@pytest.fixture
def embedding():
    """An Embedding Work Group (2027/28) that needs a completed Development year."""
    development = ProgrammeFactory(short_name="Development", family=Programme.Family.MATHS_HUB)
    programme = work_group_programme("Lead teacher 1", "Lead teacher 2", short_name="Embedding")
    rule = Prerequisite.objects.create(programme=programme, kind="completed_any")
    rule.programmes.add(development)
    cohort = CohortFactory(programme=programme, status=Cohort.Status.OPEN, capacity=6)
    cohort.development = development
    return cohort


def _completed_development(school, development, year=2025):
    SchoolProgrammeYear.objects.create(
        school=school,
        programme=development,
        academic_year=year,
        status="completed",
        source="imported",
    )


@pytest.mark.django_db
def test_accepting_a_school_its_history_does_not_allow_is_refused_with_the_reason(embedding):
    application = team_sign_up(cohort=embedding)

    with pytest.raises(ValidationError) as refused:
        application_accept(application=application, by=UserFactory())

    assert refused.value.messages == [
        "Embedding needs Development first: no completed Development year was found for this "
        "school. To accept the school anyway, record why on its sign-up first."
    ]
    application.refresh_from_db()
    assert application.status == A.SCHOOL_APPROVED
    assert not SchoolPlace.objects.exists()


@pytest.mark.django_db
def test_history_imported_after_the_sign_up_was_sent_counts_when_staff_accept(embedding):
    application = team_sign_up(cohort=embedding)
    _completed_development(application.school, embedding.development)

    place = application_accept(application=application, by=UserFactory())

    assert place.school == application.school


@pytest.mark.django_db
def test_staff_may_override_the_history_with_a_reason_which_is_kept(embedding):
    staff = UserFactory()
    application = team_sign_up(cohort=embedding)

    with pytest.raises(ValidationError, match="Say why"):
        application_prerequisites_override(application=application, by=staff, reason="  ")
    application_prerequisites_override(
        application=application, by=staff, reason="Did Development with another hub in 2019."
    )
    application_accept(application=application, by=staff)

    application.refresh_from_db()
    assert application.status == A.ACCEPTED
    assert application.prerequisites_overridden_by == staff
    assert application.prerequisites_override_reason == "Did Development with another hub in 2019."
    assert application.events.filter(
        reason="Prerequisites overridden: Did Development with another hub in 2019."
    ).exists()


@pytest.mark.django_db
def test_an_individual_application_has_no_prerequisites_to_override():
    application = team_sign_up(cohort=CohortFactory(), team=False)
    with pytest.raises(ValidationError, match="Only a school's Work Group sign-up"):
        application_prerequisites_override(application=application, by=UserFactory(), reason="x")


@pytest.mark.django_db
def test_the_override_is_made_from_the_sign_ups_page(client, embedding):
    staff = StaffUserFactory()
    sign_in(client, staff)
    application = team_sign_up(cohort=embedding)

    page = client.get(application.get_absolute_url())
    assert "Embedding needs Development first" in page.content.decode()
    assert "Override and record why" in page.content.decode()
    client.post(
        reverse("applications:prerequisites-override", args=[application.pk]),
        {"reason": "Known to the hub."},
    )

    application.refresh_from_db()
    assert application.prerequisites_override_reason == "Known to the hub."
    assert "Overridden" in client.get(application.get_absolute_url()).content.decode()


def _pp50(*schools):
    source = io.BytesIO(("URN\n" + "".join(f"{s.urn}\n" for s in schools)).encode())
    eligibility_list_upload(
        kind=EligibilityList.Kind.PP50_SCHOOLS, source=source, file_name="pp50.csv", by=None
    )


@pytest.mark.django_db
def test_with_disadvantage_first_schools_on_the_pp50_list_come_first_then_by_date():
    programme = work_group_programme(priority=Programme.Priority.DISADVANTAGE)
    cohort = CohortFactory(programme=programme, status=Cohort.Status.OPEN, capacity=2)
    day = timezone.now() - datetime.timedelta(days=30)
    schools = [SchoolFactory(name=f"School {n}") for n in range(5)]
    for n, school in enumerate(schools):
        team_sign_up(cohort=cohort, school=school, submitted_at=day + datetime.timedelta(days=n))
    _pp50(schools[3], schools[1])
    team_sign_up(cohort=cohort, school=SchoolFactory(name="Waiting"), status=A.AWAITING_SCHOOL)

    sign_ups = work_group_sign_ups(cohort=cohort)

    assert [r.application.school.name for r in sign_ups.to_decide] == [
        "School 1",
        "School 3",
        "School 0",
        "School 2",
        "School 4",
    ]
    assert [r.on_pp50_list for r in sign_ups.to_decide] == [True, True, False, False, False]
    assert [r.application.school.name for r in sign_ups.awaiting_school] == ["Waiting"]


@pytest.mark.django_db
def test_in_arrival_order_the_pp50_list_does_not_count():
    cohort = CohortFactory(programme=work_group_programme(), status=Cohort.Status.OPEN)
    first, second = SchoolFactory(), SchoolFactory()
    day = timezone.now() - datetime.timedelta(days=3)
    team_sign_up(cohort=cohort, school=first, submitted_at=day)
    team_sign_up(cohort=cohort, school=second, submitted_at=day + datetime.timedelta(days=1))
    _pp50(second)

    assert [r.application.school for r in work_group_sign_ups(cohort=cohort).to_decide] == [
        first,
        second,
    ]


@pytest.mark.django_db
def test_schools_whose_history_does_not_allow_them_are_listed_apart_with_the_reason(embedding):
    allowed, refused = SchoolFactory(name="Allowed"), SchoolFactory(name="Refused")
    _completed_development(allowed, embedding.development)
    team_sign_up(cohort=embedding, school=allowed)
    team_sign_up(cohort=embedding, school=refused)

    sign_ups = work_group_sign_ups(cohort=embedding)

    assert [r.application.school for r in sign_ups.to_decide] == [allowed]
    assert [r.application.school for r in sign_ups.not_eligible] == [refused]
    assert "no completed Development year" in sign_ups.not_eligible[0].check.reason


@pytest.mark.django_db
def test_staff_accept_down_the_list_and_come_back_to_it(client):
    staff = StaffUserFactory()
    sign_in(client, staff)
    cohort = CohortFactory(programme=work_group_programme(), status=Cohort.Status.OPEN, capacity=1)
    first, second = team_sign_up(cohort=cohort), team_sign_up(cohort=cohort)
    url = reverse("applications:work-group-sign-ups", args=[cohort.pk])

    page = client.get(url).content.decode()
    assert "More schools can be accepted than there are places" in page
    response = client.post(
        reverse("applications:application-decide", args=[first.pk]),
        {"action": "accept", "next": url},
    )
    assert response.url == url
    client.post(
        reverse("applications:application-decide", args=[second.pk]),
        {"action": "accept", "next": url},
    )

    assert SchoolPlace.objects.filter(cohort=cohort).count() == 1
    second.refresh_from_db()
    assert second.status == A.SCHOOL_APPROVED
    page = client.get(url).content.decode()
    assert "1 of 1 school place taken; 0 left." in page


@pytest.mark.django_db
def test_a_decision_never_goes_back_to_another_site(client):
    sign_in(client, StaffUserFactory())
    application = team_sign_up(cohort=CohortFactory(programme=work_group_programme()))
    response = client.post(
        reverse("applications:application-decide", args=[application.pk]),
        {"action": "waitlist", "next": "https://elsewhere.example/"},
    )
    assert response.url == application.get_absolute_url()


@pytest.mark.django_db
def test_the_sign_ups_page_is_only_for_work_groups(client):
    sign_in(client, StaffUserFactory())
    npq = CohortFactory()
    assert client.get(reverse("applications:work-group-sign-ups", args=[npq.pk])).status_code == 404


@pytest.mark.django_db
def test_the_sign_ups_page_reads_a_fixed_number_of_queries(client):
    sign_in(client, StaffUserFactory())
    programme = work_group_programme(priority=Programme.Priority.DISADVANTAGE)
    rule = Prerequisite.objects.create(programme=programme, kind="never_taken_part")
    rule.programmes.add(programme)
    cohort = CohortFactory(programme=programme, status=Cohort.Status.OPEN)
    url = reverse("applications:work-group-sign-ups", args=[cohort.pk])

    def queries(count):
        for _ in range(count):
            team_sign_up(cohort=cohort)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries(2) == queries(10)


@pytest.mark.django_db
def test_the_programme_page_counts_a_work_groups_places_in_schools(client):
    cohort = CohortFactory(programme=work_group_programme(), status=Cohort.Status.OPEN, capacity=4)
    application_accept(application=team_sign_up(cohort=cohort), by=UserFactory())

    page = client.get(cohort.programme.get_absolute_url()).content.decode()

    assert "3 school places left" in page


@pytest.mark.django_db
def test_a_freed_work_group_place_is_offered_in_the_programmes_priority_order(embedding):
    """PP50 schools first when disadvantage comes first; a school its history does not allow
    is passed over; then the waiting list's order."""
    embedding.programme.priority = Programme.Priority.DISADVANTAGE
    embedding.programme.save()
    embedding.capacity = 1
    embedding.save()
    staff = UserFactory()
    holder = SchoolFactory(name="Holder")
    _completed_development(holder, embedding.development)
    place = application_accept(application=team_sign_up(cohort=embedding, school=holder), by=staff)
    early, refused, disadvantaged = (
        SchoolFactory(name="Early"),
        SchoolFactory(name="Refused"),
        SchoolFactory(name="On the list"),
    )
    _completed_development(early, embedding.development)
    _completed_development(disadvantaged, embedding.development)
    _pp50(refused, disadvantaged)
    for school in (early, refused, disadvantaged):
        application_waitlist(application=team_sign_up(cohort=embedding, school=school), by=staff)

    school_place_withdraw(place=place, by=staff, reason="Closed.")

    offered = Application.objects.exclude(offer_expires_at=None)
    assert [a.school.name for a in offered] == ["On the list"]
