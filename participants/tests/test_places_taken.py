"""A cohort's places taken count every place held, however it was made, on every page."""

import pytest
from django.urls import reverse

from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.models import Enrolment
from participants.services import enrolment_change

pytestmark = pytest.mark.django_db


def _running_cohort_with_places_made_directly(count: int) -> Cohort:
    """As the demo makes its running cohort: places created without the services."""
    cohort = CohortFactory(status=Cohort.Status.OPEN, capacity=20, name="Autumn start, Chester")
    for _ in range(count):
        Enrolment.objects.create(participant=UserFactory(), cohort=cohort)
    return cohort


def test_places_made_directly_are_counted_on_the_cohort_list_page_and_dashboard(client):
    cohort = _running_cohort_with_places_made_directly(8)
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort.facilitators.add(facilitator)
    sign_in(client, lead)

    listed = client.get(reverse("cohorts:cohort-list")).content.decode()
    page = client.get(cohort.get_absolute_url()).content.decode()
    dashboard = client.get(reverse("reports:dashboard")).context["figures"]
    sign_in(client, facilitator)
    facilitators_list = client.get(reverse("cohorts:cohort-list")).content.decode()

    assert "8 / 20" in listed
    assert "8 of 20 taken" in page
    assert [(row.cohort, row.taken) for row in dashboard.places] == [(cohort, 8)]
    assert "8 / 20" in facilitators_list


def test_a_withdrawal_or_a_deletion_frees_the_place_in_the_count():
    cohort = _running_cohort_with_places_made_directly(3)
    places = list(cohort.enrolments.all())

    enrolment_change(enrolment=places[0], to="withdrawn", by=StaffUserFactory(), reason="health")
    places[1].delete()

    cohort.refresh_from_db()
    assert cohort.places_taken == 1
