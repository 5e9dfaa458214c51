import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.urls import reverse
from django.utils.http import urlencode

from npq_portal.roles import Role

from .factories import (
    PASSWORD,
    TOTP_SECRET,
    StaffUserFactory,
    UserFactory,
    current_totp_code,
    sign_in,
    user_has_totp,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "start_page"),
    [
        (Role.HUB_ADMINISTRATOR, "reports:dashboard"),
        (Role.PROGRAMME_LEAD, "reports:dashboard"),
        (Role.FACILITATOR, "cohorts:cohort-list"),
        (Role.ASSESSOR, "assessment:marking-list"),
    ],
)
def test_staff_without_mfa_are_sent_to_set_it_up(client, role, start_page):
    client.force_login(StaffUserFactory(roles=[role], totp=False))

    response = client.get(reverse(start_page))

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


# allauth announces the new authenticator on commit, so this test needs real commits.
@pytest.mark.django_db(transaction=True)
def test_staff_activate_totp_after_reauthenticating_then_reach_staff_pages(client):
    staff = StaffUserFactory(totp=False)
    client.force_login(staff)
    assert client.get(reverse("staff:home")).url == reverse("mfa_activate_totp")

    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    response = client.post(response.url, {"password": PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp_code(secret)})

    assert response.status_code == 302
    assert response.url == reverse("mfa_view_recovery_codes")
    assert user_has_totp(staff)
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.RECOVERY_CODES).exists()
    response = client.get(reverse("staff:home"))
    assert response.status_code == 200
    assert "Hub overview" in response.content.decode()


def test_a_wrong_totp_code_activates_nothing(client):
    staff = StaffUserFactory(totp=False)
    client.force_login(staff)
    reauth = client.get(reverse("mfa_activate_totp")).url
    client.post(reauth, {"password": PASSWORD})
    client.get(reverse("mfa_activate_totp"))

    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})

    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not user_has_totp(staff)
    assert client.get(reverse("staff:home")).status_code == 302


def test_staff_with_totp_are_asked_for_a_code_when_they_sign_in(client):
    staff = StaffUserFactory()

    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code(TOTP_SECRET)})

    assert response.status_code == 302
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reports:dashboard")


def test_teachers_are_not_asked_to_set_up_mfa(client):
    client.force_login(UserFactory())

    assert client.get(reverse("participants:teacher-home")).status_code == 200


def test_the_admin_login_form_sends_staff_through_the_portal_sign_in(client):
    staff = StaffUserFactory()

    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert client.get(reverse("staff:home")).status_code == 302


def test_a_staff_session_that_skipped_the_code_is_asked_for_one(client):
    staff = StaffUserFactory()
    client.force_login(staff)  # signed in without the TOTP step

    response = client.get(reverse("staff:person-list"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_reauthenticate") + "?next=%2Fstaff%2Fpeople%2F"
    response = client.post(response.url, {"code": current_totp_code(TOTP_SECRET)})

    assert response.status_code == 302
    assert response.url == reverse("staff:person-list")
    assert client.get(reverse("staff:person-list")).status_code == 200


@pytest.mark.parametrize("path", ["/staff/", "/staff/people/", "/staff/emails/", "/admin/"])
def test_a_superuser_without_mfa_is_sent_to_set_it_up_everywhere(client, path):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)

    response = client.get(path)

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def test_staff_rights_given_directly_still_need_mfa(client):
    from django.contrib.auth.models import Permission

    person = UserFactory()
    person.user_permissions.add(
        *Permission.objects.filter(codename__in=["access_staff_area", "view_user"])
    )
    client.force_login(person)

    response = client.get(reverse("staff:home"))

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


STAFF_START_PAGES = [
    (Role.HUB_ADMINISTRATOR, "/staff/people/"),
    (Role.PROGRAMME_LEAD, "/staff/dashboard/"),
    (Role.FACILITATOR, "/staff/cohorts/"),
    (Role.ASSESSOR, "/marking/"),
]


@pytest.mark.parametrize(("role", "path"), STAFF_START_PAGES)
def test_every_staff_role_signed_in_without_a_code_is_asked_for_one(client, role, path):
    client.force_login(StaffUserFactory(roles=[role]))  # signed in without the TOTP step

    response = client.get(path)

    assert response.status_code == 302
    assert response.url == reverse("mfa_reauthenticate") + "?" + urlencode({"next": path})


@pytest.mark.parametrize(("role", "path"), STAFF_START_PAGES)
def test_every_staff_role_with_a_code_reaches_their_pages(client, role, path):
    sign_in(client, StaffUserFactory(roles=[role]))

    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "person",
    [
        pytest.param({"is_staff": True}, id="admin-staff-flag"),
        pytest.param({"is_staff": True, "is_superuser": True}, id="superuser"),
    ],
)
@pytest.mark.parametrize("path", ["/admin/", "/admin/npq_portal/user/"])
def test_the_admin_asks_for_a_code_and_then_opens(client, person, path):
    admin_user = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR], **person)
    client.force_login(admin_user)

    response = client.get(path)
    assert response.url == reverse("mfa_reauthenticate") + "?" + urlencode({"next": path})
    response = client.post(response.url, {"code": current_totp_code(TOTP_SECRET)})

    assert response.url == path
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("roles", [[Role.SCHOOL_LEADER], None], ids=["school-leader", "teacher"])
def test_school_leaders_and_teachers_are_never_asked_for_a_code(client, roles):
    client.force_login(UserFactory(roles=roles))

    response = client.get(reverse("participants:teacher-home"))

    assert response.status_code == 200
