import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from npq_portal.roles import Role
from npq_portal.services import user_set_roles
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
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


# ---- Signed-in pages are drawn on every visit ----


def test_losing_a_role_is_felt_at_once(client):
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, lead)
    url = reverse("applications:application-list")
    assert client.get(url).status_code == 200

    user_set_roles(user=lead, roles=[], by=None, reason="Left the hub")

    assert client.get(url).status_code == 403


def test_an_authenticator_removed_is_felt_at_once(client):
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, lead)
    url = reverse("applications:application-list")
    assert client.get(url).status_code == 200

    Authenticator.objects.filter(user=lead).delete()

    assert client.get(url).url == reverse("mfa_activate_totp")


def test_any_change_is_shown_at_the_next_visit(client):
    teacher = UserFactory()
    sign_in(client, teacher)
    url = reverse("participants:teacher-home")
    application = ApplicationFactory(applicant=teacher, submitted_at=timezone.now())
    assert application.cohort.name in client.get(url).content.decode()

    Application.objects.filter(pk=application.pk).update(status=Application.Status.WITHDRAWN)

    assert application.cohort.name not in client.get(url).content.decode()
