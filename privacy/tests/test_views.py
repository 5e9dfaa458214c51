import io
import json
import zipfile

import pytest
from django.urls import reverse

from npq_portal.models import PersonalDataRequest, User
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in

from .helpers import EMAIL, TRN

pytestmark = pytest.mark.django_db


def _document(response) -> dict:
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return json.loads(archive.read("person.json"))


def test_an_administrator_downloads_a_persons_data_from_their_page(client, history):
    sign_in(client, history.admin)
    page = client.get(reverse("staff:person-detail", args=[history.person.pk]))
    assert b"Download their data" in page.content and b"Erase their personal data" in page.content

    response = client.post(reverse("privacy:person-export", args=[history.person.pk]))

    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert _document(response)["account"]["email"] == EMAIL
    assert PersonalDataRequest.objects.get().by == history.admin
    page = client.get(reverse("staff:person-detail", args=[history.person.pk]))
    assert b"Subject access export" in page.content


def test_a_signed_in_person_downloads_only_their_own_data(client, history):
    sign_in(client, history.person)
    home = client.get(reverse("participants:teacher-home"))
    assert reverse("privacy:my-data").encode() in home.content

    response = client.post(reverse("privacy:my-data"))

    document = _document(response)
    assert document["account"]["person_id"] == history.person.pk
    assert document["applications"][0]["trn"] == TRN
    assert PersonalDataRequest.objects.get().by == history.person


@pytest.mark.parametrize("role", [None, Role.PROGRAMME_LEAD, Role.FACILITATOR])
def test_only_administrators_export_or_erase_someone_else(client, role):
    someone = UserFactory()
    user = StaffUserFactory(roles=[role]) if role else UserFactory()
    sign_in(client, user)

    exported = client.post(reverse("privacy:person-export", args=[someone.pk]))
    erase_page = client.get(reverse("privacy:person-erase", args=[someone.pk]))
    erased = client.post(
        reverse("privacy:person-erase", args=[someone.pk]), {"reason": "x", "confirm": "on"}
    )

    assert (exported.status_code, erase_page.status_code, erased.status_code) == (403, 403, 403)
    assert User.objects.get(pk=someone.pk).erased_at is None
    assert not PersonalDataRequest.objects.exists()


def test_a_person_who_does_not_exist_is_a_404(client):
    sign_in(client, StaffUserFactory())

    assert client.post(reverse("privacy:person-export", args=[999999])).status_code == 404
    assert client.get(reverse("privacy:person-erase", args=[999999])).status_code == 404


def test_the_self_export_cannot_be_pointed_at_someone_else(client, history):
    # The page takes no id: another person's data has no address to ask for.
    other = UserFactory()
    sign_in(client, other)

    response = client.post(reverse("privacy:my-data") + f"?person={history.person.pk}")

    assert _document(response)["account"]["person_id"] == other.pk
    assert client.get(f"/my-data/{history.person.pk}/").status_code == 404


def test_an_administrator_erases_a_person_after_confirming_why(client, history):
    sign_in(client, history.admin)
    url = reverse("privacy:person-erase", args=[history.person.pk])

    unconfirmed = client.post(url, {"reason": "Their request of 3 March"})
    assert unconfirmed.status_code == 200 and User.objects.get(pk=history.person.pk).is_active

    response = client.post(url, {"reason": "Their request of 3 March", "confirm": "on"})

    assert response.status_code == 302
    person = User.objects.get(pk=history.person.pk)
    assert person.erased_at is not None and person.email.endswith("@erased.invalid")
    page = client.get(response["Location"])
    assert b"personal data is erased" in page.content and b"Erasure" in page.content
    assert EMAIL.encode() not in page.content


def test_a_refusal_says_why_and_changes_nothing(client, history):
    from participants.models import Enrolment

    Enrolment.objects.filter(pk=history.enrolment.pk).update(status="active")
    sign_in(client, history.admin)
    url = reverse("privacy:person-erase", args=[history.person.pk])

    page = client.get(url)
    response = client.post(url, {"reason": "Their request", "confirm": "on"})

    assert b"cannot be erased yet" in page.content and b"withdraw it first" in page.content
    assert response.status_code == 200 and b"withdraw it first" in response.content
    assert User.objects.get(pk=history.person.pk).email == EMAIL


def test_the_privacy_notice_is_public_linked_and_quotes_the_settings(client, settings):
    import datetime

    settings.RETENTION = {
        "unconfirmed_subscribers": datetime.timedelta(days=9),
        "closed_applications": datetime.timedelta(days=400),
    }
    settings.HUB_CONTACT_EMAIL = "privacy@hub.example"
    notice = reverse("privacy:notice")

    response = client.get(notice)

    assert response.status_code == 200
    text = response.content.decode()
    assert "after 9 days" in text and "400 days after that decision" in text
    assert "privacy@hub.example" in text and "ICO" in text and "Department for Education" in text
    for page in (reverse("home"), reverse("mailing_list:subscribe"), reverse("account_signup")):
        assert f'href="{notice}"' in client.get(page).content.decode(), page


def test_the_application_start_links_the_privacy_notice(client):
    from cohorts.models import Cohort
    from cohorts.tests.factories import CohortFactory

    cohort = CohortFactory(status=Cohort.Status.OPEN)
    sign_in(client, UserFactory())

    response = client.get(reverse("applications:apply", args=[cohort.pk]))

    assert f'href="{reverse("privacy:notice")}"' in response.content.decode()
