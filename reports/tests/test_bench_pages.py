import pytest
from django.urls import reverse

from npq_portal.tests.factories import UserFactory
from reports.bench_pages import session_cookie_for

pytestmark = pytest.mark.django_db


def test_a_benchmark_session_is_signed_in_on_a_server_run_as_production(client, settings):
    settings.SESSION_COOKIE_NAME = settings.PRODUCTION_SESSION_COOKIE_NAME  # DEBUG off
    teacher = UserFactory()
    name, key = session_cookie_for(teacher.pk).split("=", 1)
    client.cookies[name] = key

    response = client.get(reverse("participants:teacher-home"))

    assert response.status_code == 200
    assert response.wsgi_request.user == teacher
