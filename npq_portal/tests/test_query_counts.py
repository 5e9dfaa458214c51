"""No page's query count grows with its rows: the hub overview, people and the email log, each
at 10 and at 1,000 rows (the helper is npq_portal/tests/querycount.py).

A case signs someone in who may see the page and returns its address and a function that adds
rows of what it lists; to sweep another page, write one and add it to PAGES.
"""

import factory
import pytest
from django.urls import reverse

from npq_portal.models import EmailDelivery
from npq_portal.roles import Role

from .factories import (
    EmailDeliveryFactory,
    StaffUserFactory,
    bulk,
    bulk_people,
    sign_in,
)
from .querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db


def hub_overview(client):
    sign_in(client, StaffUserFactory())

    def add_people_and_email(count):
        bulk_people(count, role=Role.FACILITATOR)
        bulk(EmailDeliveryFactory, count, status=EmailDelivery.Status.FAILED)

    return reverse("staff:home"), add_people_and_email


def people(client):
    sign_in(client, StaffUserFactory())
    return reverse("staff:person-list"), lambda count: bulk_people(count, role=Role.ASSESSOR)


def people_by_role_and_search(client):
    sign_in(client, StaffUserFactory())
    url = reverse("staff:person-list") + "?role=assessor&q=example"
    return url, lambda count: bulk_people(count, role=Role.ASSESSOR)


def email_log(client):
    sign_in(client, StaffUserFactory())
    return reverse("staff:email-list"), lambda count: bulk(EmailDeliveryFactory, count)


def email_log_of_failures(client):
    sign_in(client, StaffUserFactory())

    def add_failures(count):
        bulk(
            EmailDeliveryFactory,
            count,
            status=EmailDelivery.Status.FAILED,
            kind=factory.Iterator(["welcome", "session_reminder", "approval_chase"]),
            last_error="Connection unexpectedly closed",
        )

    return reverse("staff:email-list") + "?status=failed&recipient=school", add_failures


PAGES = [hub_overview, people, people_by_role_and_search, email_log, email_log_of_failures]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.__name__)
def test_the_query_count_does_not_grow_with_the_rows(client, page):
    url, add_rows = page(client)

    assert_queries_do_not_grow(client, url, add_rows, page=page.__name__)
