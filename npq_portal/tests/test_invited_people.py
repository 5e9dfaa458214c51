"""People whose account another made for them (a school naming its Work Group team): the
account is linked by address, and setting a password from the emailed link verifies it."""

import pytest
from allauth.account.models import EmailAddress

from npq_portal.services import password_set_url, user_for_person
from npq_portal.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_someone_with_an_account_is_linked_to_it_whatever_the_case_of_the_address():
    known = UserFactory(email="sam.okafor@oakfield.example")

    user, made = user_for_person(
        email=" Sam.Okafor@Oakfield.example ", first_name="S", last_name="O"
    )

    assert (user, made) == (known, False)


def test_a_new_account_has_no_password_and_an_unverified_address_until_they_follow_the_link(
    client,
):
    user, made = user_for_person(
        email="Rhian@Oakfield.example", first_name=" Rhian ", last_name="Jones"
    )
    assert made and not user.has_usable_password()
    assert (user.email, user.first_name) == ("rhian@oakfield.example", "Rhian")
    assert not EmailAddress.objects.get(user=user).verified
    assert not client.login(email=user.email, password=PASSWORD)

    path = password_set_url(user).split("testserver", 1)[-1].split("://", 1)[-1]
    path = path[path.index("/accounts/") :]
    form = client.get(path, follow=True)
    client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": PASSWORD, "password2": PASSWORD},
    )

    user.refresh_from_db()
    assert user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert client.login(email=user.email, password=PASSWORD)
