import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.selectors import review_filter_options
from cohorts.models import DeliveryPartner
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in

pytestmark = pytest.mark.django_db

# In the 2026/27 academic year.
TODAY = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY):  # the clock runs: a change makes a new stamp
        yield


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


def test_the_cohorts_listed_are_the_chosen_years_or_this_years_and_the_cohort_chosen():
    last_year = CohortFactory(name="Autumn", academic_year=2025)
    this_year = CohortFactory(name="Spring", academic_year=2026)
    next_year = CohortFactory(name="Summer", academic_year=2027)

    unchosen = review_filter_options()
    chosen_year = review_filter_options(year="2025")
    chosen_cohort = review_filter_options(cohort=str(next_year.pk))
    both = review_filter_options(year="2025", cohort=str(last_year.pk))
    nonsense = review_filter_options(year="next", cohort="none")

    assert [pk for pk, _ in unchosen.cohorts] == [this_year.pk]
    assert [pk for pk, _ in chosen_year.cohorts] == [last_year.pk]
    assert [pk for pk, _ in chosen_cohort.cohorts] == [next_year.pk, this_year.pk]
    assert [pk for pk, _ in both.cohorts] == [last_year.pk]
    assert nonsense == unchosen
    # Every year and every programme stays a choice, whichever year's cohorts are listed.
    assert [year for year, _ in chosen_year.years] == [2027, 2026, 2025]
    assert len(chosen_year.programmes) == 3


def test_a_year_s_lists_are_kept_apiece_and_a_cohort_from_another_year_costs_one_query():
    chosen = CohortFactory(academic_year=2020)
    CohortFactory(academic_year=2026)
    review_filter_options(year="2025")
    review_filter_options()

    with CaptureQueriesContext(connection) as kept:
        review_filter_options(year="2025")
        review_filter_options()
    with CaptureQueriesContext(connection) as with_another:
        options = review_filter_options(cohort=str(chosen.pk))

    assert len(kept) == 2  # a stamp each
    assert len(with_another) == 2  # the stamp, and the chosen cohort's name
    assert options.cohorts[0][0] == chosen.pk


def _queue(client, **filters) -> tuple[str, int]:
    client.get(reverse("applications:application-list"), filters)  # the lists are kept
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("applications:application-list"), filters)
    return page.content.decode(), len(queries)


def test_the_review_queue_offers_one_year_s_cohorts_in_as_many_queries_for_many_years(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    this_year = CohortFactory(name="Spring", academic_year=2026)
    earlier = CohortFactory(name="Gone by", academic_year=2019)

    few_page, few = _queue(client)
    for year in range(2010, 2026):
        CohortFactory.create_batch(
            3,
            academic_year=year,
            programme=this_year.programme,
            delivery_partner=this_year.delivery_partner,
        )
    many_page, many = _queue(client)
    chosen_page, _ = _queue(client, cohort=earlier.pk)
    year_page, _ = _queue(client, year=2019)

    assert many == few
    # Fifteen more years to choose from (2019 was one already); no more cohorts.
    assert many_page.count("<option value=") == few_page.count("<option value=") + 15
    spring = f'<option value="{this_year.pk}">{this_year.programme.short_name} 2026/27, Spring<'
    gone_by = f'value="{earlier.pk}">{earlier.programme.short_name} 2019/20, Gone by<'
    assert spring in many_page and gone_by not in many_page
    assert spring in chosen_page and f"<option selected {gone_by}" in chosen_page
    assert spring not in year_page and f"<option {gone_by}" in year_page
