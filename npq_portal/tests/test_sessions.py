import time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.http import urlencode

from cohorts.models import DeliveryPartner
from npq_portal import settings as project_settings
from npq_portal.roles import Role

from .factories import (
    PASSWORD,
    TOTP_SECRET,
    StaffUserFactory,
    UserFactory,
    current_totp_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _real_staff_session_limits(settings):
    # The shared test settings lift them for tests that travel in time (conftest.py).
    settings.STAFF_SESSION = project_settings.STAFF_SESSION


@pytest.fixture
def clock(monkeypatch):
    """Move time on: `clock.advance(minutes=31)` (sessions, TOTP codes, everything)."""

    class Clock:
        offset = 0.0

        def advance(self, *, minutes: float = 0, hours: float = 0) -> None:
            self.offset += minutes * 60 + hours * 3600

    clock = Clock()
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + clock.offset)
    return clock


def _sign_in(client, user, next_path: str = ""):
    login = reverse("account_login") + ("?" + urlencode({"next": next_path}) if next_path else "")
    response = client.post(login, {"login": user.email, "password": PASSWORD})
    if response.url == reverse("mfa_authenticate"):
        response = client.post(response.url, {"code": current_totp_code(TOTP_SECRET)})
    return response


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        (Role.HUB_ADMINISTRATOR, "staff:person-list"),
        (Role.PROGRAMME_LEAD, "reports:dashboard"),
        (Role.FACILITATOR, "cohorts:cohort-list"),
        (Role.ASSESSOR, "assessment:marking-list"),
    ],
)
def test_a_staff_session_left_idle_signs_in_again_with_a_code_and_returns_to_the_page(
    client, clock, role, url_name
):
    staff = StaffUserFactory(roles=[role])
    _sign_in(client, staff)
    assert client.get(reverse(url_name)).status_code == 200

    clock.advance(minutes=31)
    response = client.get(reverse(url_name) + "?page=1")

    assert response.status_code == 302
    next_path = reverse(url_name) + "?page=1"
    assert response.url == reverse("account_login") + "?" + urlencode({"next": next_path})
    assert not response.wsgi_request.user.is_authenticated
    (message,) = get_messages(response.wsgi_request)
    assert "signed out after 30 minutes without using the portal" in str(message)
    response = _sign_in(client, staff, next_path=next_path)
    assert response.url == next_path
    assert client.get(response.url).status_code == 200


def test_a_form_sent_after_the_session_ended_is_said_not_to_be_saved(client, clock):
    staff = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    _sign_in(client, staff)
    partners = reverse("cohorts:partner-create")

    clock.advance(minutes=31)
    response = client.post(partners, {"name": "Kent Maths Hub"})

    assert response.status_code == 302
    assert response.url == reverse("account_login") + "?" + urlencode({"next": partners})
    *_, message = get_messages(response.wsgi_request)  # after the unread "signed in"
    assert str(message).startswith("For your security you were signed out")
    assert str(message).endswith("What you had just sent was not saved: please send it again.")
    assert not DeliveryPartner.objects.filter(name="Kent Maths Hub").exists()


def test_staff_who_keep_working_stay_signed_in(client, clock):
    staff = StaffUserFactory()
    _sign_in(client, staff)

    for _ in range(4):
        clock.advance(minutes=29)
        assert client.get(reverse("staff:home")).status_code == 200


def test_a_busy_staff_session_still_ends_ten_hours_after_sign_in(client, clock):
    staff = StaffUserFactory()
    _sign_in(client, staff)
    for _ in range(20):  # 9 hours 40 minutes of steady work
        clock.advance(minutes=29)
        assert client.get(reverse("staff:home")).status_code == 200

    clock.advance(minutes=25)
    response = client.get(reverse("staff:home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_admin_session_expires_like_the_staff_pages(client, clock):
    _sign_in(client, StaffUserFactory(is_superuser=True, is_staff=True))
    assert client.get("/admin/").status_code == 200

    clock.advance(minutes=31)
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url == reverse("account_login") + "?next=%2Fadmin%2F"


def test_teachers_keep_the_normal_session_length(client, clock):
    _sign_in(client, UserFactory())

    clock.advance(hours=12)
    response = client.get(reverse("participants:teacher-home"))

    assert response.status_code == 200


def test_idle_limits_come_from_settings(client, clock, settings):
    from datetime import timedelta

    settings.STAFF_SESSION = {"idle": timedelta(minutes=5), "max_age": timedelta(hours=1)}
    _sign_in(client, StaffUserFactory())

    clock.advance(minutes=6)

    assert client.get(reverse("staff:home")).status_code == 302
