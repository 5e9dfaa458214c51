"""No catalogue page's query count grows with its rows: each at 10 and at 1,000 programmes or
courses (npq_portal/tests/querycount.py). To sweep another page, add a case to PAGES."""

import factory
import pytest
from django.urls import reverse

from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, bulk, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow
from programmes.models import Programme

from .factories import ClinicFactory, CourseFactory, ModuleFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def bulk_programmes(count: int, **fields) -> list[Programme]:
    return bulk(ProgrammeFactory, count, **fields)


def bulk_structure(programme: Programme, count: int) -> None:
    """`count` modules and `count` clinics, in a course for every ten."""
    courses = bulk(CourseFactory, max(count // 10, 1), programme=programme)
    bulk(ModuleFactory, count, course=factory.Iterator(courses))
    bulk(ClinicFactory, count, course=factory.Iterator(courses))


def public_catalogue(client):
    return reverse("programmes:programme-list"), bulk_programmes


def public_catalogue_searched(client):
    url = reverse("programmes:programme-list") + "?q=teachers&family=specialist&phase=primary"
    return url, bulk_programmes


def programme_page(client):
    programme = ProgrammeFactory()
    return programme.get_absolute_url(), lambda count: bulk_structure(programme, count)


def staff_programme_list(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    def add_programmes_with_courses(count):
        programmes = bulk_programmes(count, edited_by=StaffUserFactory(totp=False))
        bulk(CourseFactory, count, programme=factory.Iterator(programmes))

    return reverse("programmes:staff-programme-list"), add_programmes_with_courses


def staff_programme_page(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    programme = ProgrammeFactory()
    url = reverse("programmes:staff-programme-detail", args=[programme.slug])
    return url, lambda count: bulk_structure(programme, count)


PAGES = [
    public_catalogue,
    public_catalogue_searched,
    programme_page,
    staff_programme_list,
    staff_programme_page,
]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.__name__)
def test_the_query_count_does_not_grow_with_the_rows(client, page):
    url, add_rows = page(client)

    assert_queries_do_not_grow(client, url, add_rows, page=page.__name__)
