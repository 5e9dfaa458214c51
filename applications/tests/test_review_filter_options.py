import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.selectors import review_filter_options
from cohorts.models import DeliveryPartner
from cohorts.tests.factories import CohortFactory

pytestmark = pytest.mark.django_db


def test_the_lists_are_read_once_and_again_when_a_cohort_changes():
    cohort = CohortFactory(name="Autumn", academic_year=2026)
    first = review_filter_options()
    with CaptureQueriesContext(connection) as captured:
        again = review_filter_options()

    assert again == first
    assert len(captured) == 1  # the stamp only
    assert (cohort.pk, f"{cohort.programme.short_name} 2026/27, Autumn") in first.cohorts
    assert (2026, "2026/27") in first.years
    assert (cohort.programme.slug, cohort.programme.short_name) in first.programmes

    cohort.name = "Spring"
    cohort.save()
    assert (cohort.pk, f"{cohort.programme.short_name} 2026/27, Spring") in (
        review_filter_options().cohorts
    )

    partner = DeliveryPartner.objects.create(name="Zeal Hub")
    assert (partner.pk, "Zeal Hub") in review_filter_options().partners

    deleted = cohort.pk
    cohort.delete()
    assert deleted not in dict(review_filter_options().cohorts)
