import pytest
from django.test import Client
from django.urls import reverse

from npq_portal.tests.factories import UserFactory, sign_in
from programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages():
    programme = ProgrammeFactory(status="offered")
    return [reverse("programmes:programme-list"), programme.get_absolute_url()]


def test_a_signed_in_persons_page_is_never_shown_to_a_visitor(client, pages):
    person = UserFactory(email="someone.private@oakfield.example")
    sign_in(client, person)

    for url in pages:
        assert person.email in client.get(url).content.decode()
        visitor_page = Client().get(url).content.decode()
        assert person.email not in visitor_page and "csrfmiddlewaretoken" not in visitor_page


def test_a_visitors_cached_page_is_never_shown_to_someone_signed_in(client, pages):
    person = UserFactory(email="someone.private@oakfield.example")
    for url in pages:
        Client().get(url)  # stored for visitors
    sign_in(client, person)

    for url in pages:
        assert person.email in client.get(url).content.decode()


def test_visitors_without_cookies_share_one_copy(pages, django_assert_num_queries):
    Client().get(pages[0])

    with django_assert_num_queries(0):
        response = Client().get(pages[0])

    assert response.status_code == 200
