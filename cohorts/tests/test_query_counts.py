"""No cohort page's query count grows with its rows: each at 10 and at 1,000 cohorts, sessions,
module windows or partners (npq_portal/tests/querycount.py). To sweep another page, add a case
to PAGES."""

import factory
import pytest
from django.urls import reverse

from cohorts.models import Cohort, CohortStatusChange, DeliveryPartner
from cohorts.services import calendar_feed_get
from npq_portal.models import User
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, bulk, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow
from programmes.tests.factories import CourseFactory, ModuleFactory, ProgrammeFactory

from .factories import (
    CohortFactory,
    DeliveryPartnerFactory,
    ModuleWindowFactory,
    bulk_cohorts,
    bulk_sessions,
)

pytestmark = pytest.mark.django_db


def cohort_list(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    return reverse("cohorts:cohort-list"), bulk_cohorts


def cohort_list_filtered(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    programme, partner = ProgrammeFactory(), DeliveryPartnerFactory(name="North hub")
    url = reverse("cohorts:cohort-list") + (
        f"?programme={programme.pk}&academic_year=2027&status=open&partner={partner.pk}"
    )

    def add_cohorts(count):
        bulk_cohorts(count, programme=programme, delivery_partner=partner, status="open")

    return url, add_cohorts


def facilitators_cohort_list(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    sign_in(client, facilitator)

    def add_cohorts_they_run(count):
        cohorts = bulk_cohorts(count)
        Cohort.facilitators.through.objects.bulk_create(
            Cohort.facilitators.through(cohort_id=cohort.pk, user_id=facilitator.pk)
            for cohort in cohorts
        )

    return reverse("cohorts:cohort-list"), add_cohorts_they_run


def cohort_page(client):
    """Its sessions (with their facilitators and courses), module windows, facilitators and
    status history."""
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, lead)
    cohort = CohortFactory()

    def add_timetable(count):
        people = bulk(UserFactory, count)
        course = CourseFactory(programme=cohort.programme)
        bulk_sessions(
            cohort, count, facilitator=factory.Iterator(people), course=course, kind="clinic"
        )
        modules = bulk(ModuleFactory, count, course=course)
        bulk(ModuleWindowFactory, count, cohort=cohort, module=factory.Iterator(modules))
        Cohort.facilitators.through.objects.bulk_create(
            Cohort.facilitators.through(cohort_id=cohort.pk, user_id=person.pk) for person in people
        )
        CohortStatusChange.objects.bulk_create(
            CohortStatusChange(cohort=cohort, from_status="draft", to_status="open", by=lead)
            for _ in range(count)
        )

    return cohort.get_absolute_url(), add_timetable


def partner_list(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    def add_partners(count):
        start = DeliveryPartner.objects.count()
        bulk(
            DeliveryPartnerFactory,
            count,
            name=factory.Iterator(f"Partner {n}" for n in range(start, start + count)),
        )

    return reverse("cohorts:partner-list"), add_partners


def facilitators_calendar(client):
    """The sessions they lead and those of the cohorts they run."""
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    sign_in(client, facilitator)
    led, run = CohortFactory(), CohortFactory()
    run.facilitators.add(facilitator)

    def add_sessions(count):
        bulk_sessions(led, count, facilitator=facilitator)
        bulk_sessions(run, count, facilitator=None)

    return reverse("cohorts:my-calendar"), add_sessions


def cohort_calendar_feed(client):
    cohort = CohortFactory()
    feed = calendar_feed_get(cohort=cohort)
    return feed.get_absolute_url(), lambda count: bulk_sessions(cohort, count)


def persons_calendar_feed(client):
    person = UserFactory()
    led, run = CohortFactory(), CohortFactory()
    run.facilitators.add(person)
    feed = calendar_feed_get(owner=User.objects.get(pk=person.pk))

    def add_sessions(count):
        bulk_sessions(led, count, facilitator=person)
        bulk_sessions(run, count)

    return feed.get_absolute_url(), add_sessions


PAGES = [
    cohort_list,
    cohort_list_filtered,
    facilitators_cohort_list,
    cohort_page,
    partner_list,
    facilitators_calendar,
    cohort_calendar_feed,
    persons_calendar_feed,
]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.__name__)
def test_the_query_count_does_not_grow_with_the_rows(client, page):
    url, add_rows = page(client)

    assert_queries_do_not_grow(client, url, add_rows, page=page.__name__)
