"""A number in an address or a filter that no row's column can hold (an id past 64 bits, a
school year past 32,767) finds nothing, as Django's own queries find nothing: the pages read by
fixed queries (npq_portal/prepared.py) answer as before, not with a server error."""

import pytest
from django.urls import reverse

from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url,params",
    [
        ("applications:application-list", {"cohort": "9" * 25}),
        ("applications:application-list", {"year": "99999"}),
        ("applications:application-list", {"partner": "9" * 19}),
        ("reports:grant-claim-list", {"year": "99999"}),
    ],
)
def test_a_list_filtered_by_a_number_no_row_holds_is_drawn(client, url, params):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))
    response = client.get(reverse(url), params)
    assert response.status_code == 200
    assert response.context["paginator"].count == 0


@pytest.mark.parametrize(
    "path",
    [
        "/applications/99999999999999999999/",
        "/staff/cohorts/99999999999999999999/",
        "/work-group-places/99999999999999999999/",
        "/staff/sessions/99999999999999999999/register/",
        "/my-progress/99999999999999999999/",
    ],
)
def test_a_page_for_an_id_no_row_holds_is_not_found(client, path):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))
    assert client.get(path).status_code == 404
