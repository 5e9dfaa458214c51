import re

import pytest
from django.urls import reverse

from npq_portal.models import EmailDelivery, User

from .factories import PASSWORD, UserFactory, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-and-longer-passphrase-2026"


def _link_in(message, path_prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}[^\s]+)", message.body)
    assert match, f"no {path_prefix} link in: {message.body}"
    return match.group(1)


def _sign_up(client, email="jo.bloggs@stmarys.example"):
    return client.post(
        reverse("account_signup"),
        {
            "first_name": "Jo",
            "last_name": "Bloggs",
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


def test_sign_up_sends_a_verification_link_that_signs_in_and_lands_on_the_teacher_page(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    response = _sign_up(client)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="jo.bloggs@stmarys.example")
    assert (user.first_name, user.last_name) == ("Jo", "Bloggs")
    assert len(mailoutbox) == 1
    confirm_path = _link_in(mailoutbox[0], "/accounts/confirm-email/")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_path)

    assert response.status_code == 302
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("participants:teacher-home")
    assert response.context["user"] == user
    assert "My NPQs" in response.content.decode()
    assert mailoutbox[-1].subject == "Welcome to the NPQ Portal"
    assert EmailDelivery.objects.filter(recipient=user.email, kind="welcome").count() == 1


def test_the_verification_email_is_in_the_delivery_log(client, mailoutbox):
    _sign_up(client)

    delivery = EmailDelivery.objects.get(recipient="jo.bloggs@stmarys.example")
    assert delivery.kind == "account/email_confirmation_signup"
    assert delivery.status == EmailDelivery.Status.SENT


def test_a_verified_user_signs_in_and_lands_on_their_start_page(client):
    user = UserFactory()

    response = client.post(
        reverse("account_login"), {"login": user.email.upper(), "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("participants:teacher-home")
    assert response.context["user"] == user


def test_sign_in_is_refused_until_the_email_address_is_verified(client, mailoutbox):
    _sign_up(client)
    client.logout()

    response = client.post(
        reverse("account_login"),
        {"login": "jo.bloggs@stmarys.example", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    response = client.get(reverse("participants:teacher-home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_wrong_password_is_refused_with_a_message(client):
    user = UserFactory()

    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})

    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_signing_up_again_with_a_known_address_creates_nothing_and_tells_its_owner(
    client, mailoutbox
):
    UserFactory(email="jo.bloggs@stmarys.example")

    response = _sign_up(client, email="Jo.Bloggs@StMarys.example")

    # The page does not say whether the address has an account (no enumeration); the email does.
    assert response.status_code == 302
    assert User.objects.count() == 1
    assert mailoutbox[0].to == ["jo.bloggs@stmarys.example"]
    assert "already" in mailoutbox[0].body


def test_password_reset_round_trip(client, mailoutbox):
    user = UserFactory()

    client.post(reverse("account_reset_password"), {"email": user.email})

    assert len(mailoutbox) == 1
    reset_path = _link_in(mailoutbox[0], "/accounts/password/reset/key/")
    response = client.get(reset_path)
    assert response.status_code == 302  # allauth moves the key out of the URL
    response = client.post(response.url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_from_key_done")
    assert client.login(email=user.email, password=NEW_PASSWORD)
    assert not client.login(email=user.email, password=PASSWORD)


def test_password_change_needs_the_current_password(client):
    user = UserFactory()
    sign_in(client, user)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_sign_out_returns_to_the_public_home_page(client):
    sign_in(client, UserFactory())

    response = client.post(reverse("account_logout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert not response.context["user"].is_authenticated


def test_repeated_wrong_passwords_lock_the_account_for_a_while_even_with_the_right_one(client):
    user = UserFactory()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_too_many_password_resets_get_the_designed_429_page(client, mailoutbox):
    user = UserFactory()
    for _ in range(5):
        client.post(reverse("account_reset_password"), {"email": user.email})

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert len(mailoutbox) == 5


def test_a_mail_server_failure_at_sign_up_is_logged_and_the_page_still_works(
    client, mail_server_down
):

    response = _sign_up(client)

    assert response.status_code == 302
    assert User.objects.filter(email="jo.bloggs@stmarys.example").exists()
    delivery = EmailDelivery.objects.get(recipient="jo.bloggs@stmarys.example")
    assert delivery.status == EmailDelivery.Status.FAILED
    assert "Connection unexpectedly closed" in delivery.last_error


def test_account_emails_have_text_and_html_parts_in_the_portals_words(client, mailoutbox):
    _sign_up(client)

    (message,) = mailoutbox
    assert message.subject == "NPQ Portal: Confirm your email address"
    assert "confirm that this is your email address for the NPQ Portal, Jo" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Confirm your email address" in html


def test_a_mail_server_failure_for_the_welcome_email_does_not_break_confirmation(
    client, mailoutbox, request, django_capture_on_commit_callbacks
):
    _sign_up(client)
    confirm_path = _link_in(mailoutbox[0], "/accounts/confirm-email/")
    request.getfixturevalue("mail_server_down")  # it fails after the verification email

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_path)

    assert response.status_code == 302
    welcome = EmailDelivery.objects.get(kind="welcome")
    assert welcome.status == EmailDelivery.Status.FAILED


def test_a_teacher_who_signs_up_to_apply_lands_back_on_the_application_after_confirming(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    from cohorts.models import Cohort
    from cohorts.tests.factories import CohortFactory

    cohort = CohortFactory(status=Cohort.Status.OPEN)
    apply = reverse("applications:apply", args=[cohort.pk])
    sent_to_sign_in = client.get(apply)
    signup = client.get(sent_to_sign_in.url).context["signup_url"]

    client.post(
        signup,
        {
            "first_name": "Jo",
            "last_name": "Bloggs",
            "email": "jo.bloggs@stmarys.example",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    confirm_path = _link_in(mailoutbox[0], "/accounts/confirm-email/")
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(confirm_path)
    landed = client.get(confirmed.url)

    assert "next=%2Fapply%2F" in signup
    assert confirmed.url == apply
    assert landed.status_code == 200
    assert landed.context["user"].email == "jo.bloggs@stmarys.example"


def test_confirming_in_another_browser_still_leads_back_to_the_application(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    from django.test import Client

    from cohorts.models import Cohort
    from cohorts.tests.factories import CohortFactory

    cohort = CohortFactory(status=Cohort.Status.OPEN)
    apply = reverse("applications:apply", args=[cohort.pk])
    client.post(
        reverse("account_signup") + f"?next={apply}",
        {
            "first_name": "Jo",
            "last_name": "Bloggs",
            "email": "jo.bloggs@stmarys.example",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": apply,
        },
    )
    confirm_path = _link_in(mailoutbox[0], "/accounts/confirm-email/")
    phone = Client()  # the mail app's browser: none of the sign-up's session

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = phone.post(confirm_path)
    to_sign_in = phone.get(confirmed.url)
    signed_in = phone.post(
        to_sign_in.url, {"login": "jo.bloggs@stmarys.example", "password": PASSWORD}
    )

    assert f"next=%2Fapply%2F{cohort.pk}%2F" in confirm_path
    assert confirmed.url == apply
    assert signed_in.url == apply
