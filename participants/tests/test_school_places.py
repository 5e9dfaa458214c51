"""A school's team sign-up accepted: the school's place, a place for each person it named, the
school's history, the grant it is owed, and capacity counted in schools."""

import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections

from applications.services import application_accept
from applications.tests.factories import ApplicationFactory, team_sign_up
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.models import EmailDelivery, User
from npq_portal.tests.factories import UserFactory
from participants.models import Enrolment, GrantClaim, SchoolPlace
from participants.services import enrolment_change, places_recount, places_taken
from participants.tests.factories import EnrolmentFactory
from programmes.models import ProgrammeGrant
from programmes.tests.factories import ProgrammeFactory, work_group_programme
from schools.models import SchoolProgrammeYear
from schools.tests.factories import SchoolFactory


def _work_group(**fields):
    fields.setdefault("capacity", 2)
    return CohortFactory(programme=work_group_programme(), status=Cohort.Status.OPEN, **fields)


@pytest.mark.django_db
def test_accepting_a_team_gives_the_school_a_place_and_each_person_named_one_of_their_own():
    cohort = _work_group()
    known = UserFactory(email="known@school.example")
    application = team_sign_up(cohort=cohort)
    first = application.team_members.first()
    first.email, first.user = "known@school.example", None
    first.save()

    place = application_accept(application=application, by=UserFactory())

    assert isinstance(place, SchoolPlace)
    assert place.school_id == application.school_id and place.status == "active"
    members = Enrolment.objects.filter(school_place=place).order_by("role_slot__position")
    assert [m.role_slot.label for m in members] == [
        "Reception lead teacher",
        "Year 1 lead teacher",
        "Year 2 lead teacher",
    ]
    assert members[0].participant == known  # linked to the account they already had
    made = [m.participant for m in members[1:]]
    assert all(not person.has_usable_password() for person in made)
    assert {m.application_id for m in members} == {application.pk}
    history = SchoolProgrammeYear.objects.get(school=application.school)
    assert (history.programme, history.academic_year, history.status, history.source) == (
        cohort.programme,
        cohort.academic_year,
        "taking_part",
        "portal",
    )
    cohort.refresh_from_db()
    assert cohort.places_taken == 1 == places_taken(cohort)  # one school, three people


@pytest.mark.django_db
def test_each_person_named_is_emailed_their_place_and_new_accounts_a_link_to_set_a_password(
    django_capture_on_commit_callbacks,
):
    cohort = _work_group()
    UserFactory(email="known@school.example")
    application = team_sign_up(cohort=cohort)
    first = application.team_members.first()
    first.email = "known@school.example"
    first.save()

    with django_capture_on_commit_callbacks(execute=True):
        application_accept(application=application, by=UserFactory())

    sent = {m.to[0]: m.body for m in mail.outbox if "has a place in" in m.body}
    assert set(sent) == {m.email for m in application.team_members.all()}
    assert "Set your password" not in sent["known@school.example"]
    others = [body for to, body in sent.items() if to != "known@school.example"]
    assert all("/accounts/password/reset/key/" in body for body in others)
    logged = EmailDelivery.objects.filter(kind="work_group_place")
    assert logged.count() == 3
    assert all("/accounts/password/reset/key/" not in d.body for d in logged)


@pytest.mark.django_db
def test_capacity_is_counted_in_schools_not_people():
    cohort = _work_group(capacity=1)
    first, second = team_sign_up(cohort=cohort), team_sign_up(cohort=cohort)

    application_accept(application=first, by=UserFactory())
    with pytest.raises(ValidationError, match="is full"):
        application_accept(application=second, by=UserFactory())

    assert SchoolPlace.objects.filter(cohort=cohort).count() == 1
    second.refresh_from_db()
    assert second.status == "school_approved"  # refused, nothing changed


@pytest.mark.django_db
def test_places_recount_counts_schools_for_work_groups_and_people_otherwise():
    work_group, npq = _work_group(capacity=5), CohortFactory(capacity=5)
    application_accept(application=team_sign_up(cohort=work_group), by=UserFactory())
    EnrolmentFactory.create_batch(2, cohort=npq)
    Cohort.objects.update(places_taken=0)

    places_recount(cohort_ids=[work_group.pk, npq.pk])

    work_group.refresh_from_db(), npq.refresh_from_db()
    assert (work_group.places_taken, npq.places_taken) == (1, 2)


@pytest.mark.django_db
def test_someone_already_holding_a_place_in_the_work_group_cannot_be_named_again():
    cohort = _work_group()
    first = team_sign_up(cohort=cohort)
    application_accept(application=first, by=UserFactory())
    second = team_sign_up(cohort=cohort)
    clash = second.team_members.first()
    clash.email = first.team_members.first().email
    clash.save()

    with pytest.raises(ValidationError, match="already has a place"):
        application_accept(application=second, by=UserFactory())

    assert SchoolPlace.objects.filter(application=second).count() == 0
    assert User.objects.filter(email=clash.email).count() == 1


@pytest.mark.django_db
def test_the_programmes_grant_for_the_year_is_owed_to_each_school_accepted():
    cohort = _work_group()
    ProgrammeGrant.objects.create(
        programme=cohort.programme, academic_year=cohort.academic_year, amount=1000
    )
    other_year = _work_group(academic_year=cohort.academic_year + 1)

    place = application_accept(application=team_sign_up(cohort=cohort), by=UserFactory())
    application_accept(application=team_sign_up(cohort=other_year), by=UserFactory())

    claim = GrantClaim.objects.get()
    assert (claim.school_place, claim.amount, claim.status) == (place, 1000, "owed")


@pytest.mark.django_db
def test_one_school_may_hold_places_in_several_work_groups():
    school = SchoolFactory()
    first, second = _work_group(), _work_group()

    application_accept(application=team_sign_up(cohort=first, school=school), by=UserFactory())
    application_accept(application=team_sign_up(cohort=second, school=school), by=UserFactory())

    assert SchoolPlace.objects.filter(school=school).count() == 2


@pytest.mark.django_db(transaction=True)
def test_many_staff_accepting_schools_into_the_last_place_at_once_only_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    cohort = _work_group(capacity=2)
    application_accept(application=team_sign_up(cohort=cohort), by=UserFactory())
    applications = [team_sign_up(cohort=cohort) for _ in range(5)]
    staff = UserFactory()
    start = threading.Barrier(len(applications))
    outcomes = []

    def accept(application):
        try:
            start.wait()
            application_accept(application=application, by=staff)
            outcomes.append("won")
        except ValidationError:
            outcomes.append("full")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["full"] * 4 + ["won"]
    assert SchoolPlace.objects.filter(cohort=cohort).count() == 2
    cohort.refresh_from_db()
    assert cohort.places_taken == 2


@pytest.mark.django_db
def test_a_teachers_own_maths_hub_place_counts_in_their_schools_history():
    """A Primary Mastery Specialist's school may join Sustaining: the Specialist's own place
    (an individual programme) is in the school's history, taking part, then completed."""
    specialist = ProgrammeFactory(family="maths_hub", short_name="Specialist")
    npq = CohortFactory(status=Cohort.Status.OPEN)
    cohort = CohortFactory(programme=specialist, status=Cohort.Status.OPEN)
    school = SchoolFactory()
    staff = UserFactory()

    place = application_accept(
        application=ApplicationFactory(cohort=cohort, school=school, status="school_approved"),
        by=staff,
    )
    application_accept(
        application=ApplicationFactory(cohort=npq, school=school, status="school_approved"),
        by=staff,
    )
    history = SchoolProgrammeYear.objects.get(school=school)
    assert (history.programme, history.status) == (specialist, "taking_part")

    enrolment_change(enrolment=place, to="completed", by=staff)

    history.refresh_from_db()
    assert history.status == "completed"
    assert SchoolProgrammeYear.objects.count() == 1  # an NPQ is not a Work Group year
