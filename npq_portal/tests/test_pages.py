import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db.utils import OperationalError
from django.test import RequestFactory
from django.urls import reverse

from npq_portal import views
from npq_portal.demo import DEMO_ACCOUNTS, demo_accounts_load, demo_totp_code
from npq_portal.models import RoleChange, User
from npq_portal.roles import user_roles
from npq_portal.views import server_error

from .factories import UserFactory, sign_in

pytestmark = pytest.mark.django_db


def test_the_500_page_is_designed_and_needs_no_database():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    page = response.content.decode()
    assert "Sorry, something went wrong" in page
    assert 'lang="en-GB"' in page


def _raise_while_handling(error: Exception):
    """Call the 500 handler as Django does: while the view's exception is being handled."""
    try:
        raise error
    except type(error):
        return server_error(RequestFactory().get("/"))


def test_a_database_outage_answers_503_asking_to_try_again(monkeypatch):
    monkeypatch.setattr(views, "_database_status", lambda: "down")

    response = _raise_while_handling(OperationalError("connection refused"))

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "cannot reach its database" in page
    assert "it was not saved: please send it again" in page


def test_a_database_error_with_the_database_up_is_an_ordinary_500():
    response = _raise_while_handling(OperationalError("could not serialize access"))

    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.content.decode()


def test_a_page_failing_because_the_database_is_down_gets_the_503_page(
    client, settings, monkeypatch
):
    settings.DEBUG = False
    client.raise_request_exception = False
    monkeypatch.setattr(views, "_database_status", lambda: "down")

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(views.HomeView, "get", database_gone)

    response = client.get(reverse("home"))

    assert response.status_code == 503
    assert "cannot reach its database" in response.content.decode()


def test_the_404_page_offers_a_way_back(client):
    sign_in(client, UserFactory())

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Go to your start page" in response.content.decode()


def test_pages_have_a_skip_link_landmarks_and_british_english(client):
    page = client.get("/").content.decode()

    assert '<html lang="en-GB">' in page
    assert 'href="#main-content"' in page
    assert '<main id="main-content"' in page
    assert "<header>" in page and "<footer" in page
    assert "/static/vendor/bootstrap/bootstrap.min.css" in page


def test_allauth_pages_use_the_portal_layout_and_crispy_fields(client):
    page = client.get("/accounts/login/").content.decode()

    assert '<html lang="en-GB">' in page
    assert '<main id="main-content"' in page
    assert "form-control" in page


def test_demo_data_loads_once_per_role_and_again_changes_nothing():
    demo_accounts_load()
    changes = RoleChange.objects.count()

    results = demo_accounts_load()

    assert User.objects.count() == len(DEMO_ACCOUNTS)
    assert not any(created for _, created in results)
    assert RoleChange.objects.count() == changes
    for account in DEMO_ACCOUNTS:
        assert user_roles(User.objects.get(email=account.email))[0] == account.role
    assert demo_totp_code("admin@demo.example").isdigit()


@pytest.mark.parametrize(
    ("debug", "secret_key"),
    [(False, "django-insecure-local-development-only"), (True, "a-real-production-secret")],
)
def test_demo_accounts_are_refused_outside_a_developers_machine(settings, debug, secret_key):
    from django.core.management import CommandError, call_command

    settings.DEBUG = debug
    settings.SECRET_KEY = secret_key

    with pytest.raises(CommandError, match="only loaded on a developer's machine"):
        call_command("load_demo_data")
    with pytest.raises(CommandError, match="on a developer's machine"):
        call_command("demo_totp_code", "admin@demo.example")

    assert not User.objects.exists()


def test_pagination_keeps_the_filters(client):
    from .factories import EmailDeliveryFactory, StaffUserFactory, sign_in

    sign_in(client, StaffUserFactory())
    EmailDeliveryFactory.create_batch(30, status="failed", recipient="a&b@school.example")

    page = client.get("/staff/emails/", {"status": "failed", "recipient": "a&b"}).content.decode()

    assert 'href="?status=failed&amp;recipient=a%26b&amp;page=2"' in page


def test_every_page_names_the_portal_s_icon_and_the_icon_is_served(client):
    page = client.get(reverse("programmes:programme-list")).content.decode()

    icons = re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', page)
    assert len(icons) == 3
    for href in icons:
        path = Path(settings.BASE_DIR) / "static" / href.removeprefix(settings.STATIC_URL)
        assert path.is_file() and path.stat().st_size > 0, href
