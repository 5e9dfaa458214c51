import pytest
from django.urls import reverse

from applications.links import approval_token
from applications.tests.factories import ApplicationFactory
from npq_portal.roles import Role
from programmes.tests.factories import ProgrammeFactory

from .csp import assert_csp
from .factories import StaffUserFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db


def _as(client, role):
    if role == "visitor":
        return
    if role == "superuser":
        sign_in(client, StaffUserFactory(is_superuser=True, is_staff=True))
    elif role == Role.TEACHER:
        sign_in(client, UserFactory())
    else:
        sign_in(client, StaffUserFactory(roles=[role]))


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        ("visitor", "home"),
        ("visitor", "account_login"),
        ("visitor", "account_signup"),
        ("visitor", "programmes:programme-list"),
        ("visitor", "mailing_list:subscribe"),
        (Role.TEACHER, "participants:teacher-home"),
        (Role.HUB_ADMINISTRATOR, "staff:home"),
        (Role.HUB_ADMINISTRATOR, "applications:application-list"),
        (Role.PROGRAMME_LEAD, "reports:dashboard"),
        (Role.FACILITATOR, "cohorts:cohort-list"),
        (Role.ASSESSOR, "assessment:marking-list"),
        ("superuser", "admin:index"),
    ],
)
def test_every_app_serves_the_strict_content_security_policy(client, role, url_name):
    _as(client, role)

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert_csp(response)


def test_a_programme_page_an_application_and_its_approval_link_carry_the_policy(client):
    programme = ProgrammeFactory()
    application = ApplicationFactory()

    assert_csp(client.get(programme.get_absolute_url()))
    assert_csp(
        client.get(reverse("applications:school-approval", args=[approval_token(application)]))
    )
    sign_in(client, application.applicant)
    assert_csp(client.get(application.get_absolute_url()))


def test_redirects_and_refusals_carry_the_policy_too(client):
    assert_csp(client.get(reverse("participants:teacher-home")))  # to the login page
    sign_in(client, UserFactory())
    assert_csp(client.get(reverse("staff:home")))  # 403


def test_only_the_email_preview_allows_style_attributes_for_the_emails_it_shows(client):
    sign_in(client, StaffUserFactory())

    response = client.get(reverse("reminders:email-preview"))

    assert response.status_code == 200
    assert_csp(response, loosened={"style-src-attr": {"'unsafe-inline'"}})
