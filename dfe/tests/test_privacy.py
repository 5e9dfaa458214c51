"""The portal's copies of DfE's applications in the privacy app's subject access export and
erasure (dfe/privacy.py, registered through privacy/registry.py), and pulls after an erasure."""

import io
import json
import zipfile

import pytest
import time_machine
from django.urls import reverse

from applications.services import application_withdraw
from dfe.fake import FakeDfe, later
from dfe.models import DfeApplication
from dfe.privacy import dfe_person_erase
from npq_portal.models import PersonalDataRequest
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from privacy.services import person_data_export, person_erase

from .reconciling import HEADSHIP, PORTAL_NOW, Hub, dfe_add, pull

pytestmark = pytest.mark.django_db

EMAIL = "grace.hopper@brookfield.example"
TRN = "7654321"
OTHER_TRN = "7000001"


@pytest.fixture(autouse=True)
def _portal_clock():
    with time_machine.travel(PORTAL_NOW, tick=True):
        yield


class Scene:
    """Grace's portal application linked to DfE's by a pull; an accepted Headship application at DfE
    under her email in capitals, which the portal has no application for (matched only by
    email); and someone else's DfE application."""

    def __init__(self):
        self.hub = Hub()
        self.fake = FakeDfe()
        self.admin = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
        self.person = UserFactory(email=EMAIL, first_name="Grace", last_name="Hopper")
        self.application = self.hub.application(applicant=self.person, trn=TRN)
        self.linked_id = dfe_add(self.fake, self.application, full_name="Grace Hopper")
        self.by_email_id = dfe_add(
            self.fake,
            email=EMAIL.upper(),
            full_name="Grace B. Hopper",
            teacher_reference_number=OTHER_TRN,
            course_identifier=HEADSHIP,
            eligible_for_funding=False,
            status="accepted",
        )
        self.someone_else_id = dfe_add(
            self.fake, email="ada@example.org", full_name="Ada Lovelace", school_urn="100001"
        )
        pull(self.fake, self.hub.connection)

    def record(self, dfe_id: str) -> DfeApplication:
        return DfeApplication.objects.get(dfe_id=dfe_id)


@pytest.fixture
def scene():
    return Scene()


def _unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_export_holds_the_linked_and_the_email_matched_dfe_applications_in_words(scene):
    assert scene.record(scene.linked_id).application == scene.application
    assert scene.record(scene.by_email_id).application is None

    content, record = person_data_export(person=scene.person, by=scene.admin)

    files = _unzip(content)
    rows = json.loads(files["person.json"])["dfe_applications"]
    by_id = {row["dfe_application_id"]: row for row in rows}
    assert set(by_id) == {scene.linked_id, scene.by_email_id}
    linked, by_email = by_id[scene.linked_id], by_id[scene.by_email_id]
    assert linked["application_id"] == scene.application.pk
    assert linked["course"] == "NPQ in Senior Leadership"
    assert linked["cohort"] == "2025/26"
    assert linked["status_at_dfe"] == "Pending"
    assert (linked["name"], linked["email"], linked["trn"]) == ("Grace Hopper", EMAIL, TRN)
    assert linked["eligible_for_funding"] is True and linked["not_eligible_because"] == ""
    assert linked["last_pulled_at"] and linked["personal_data_erased_at"] == ""
    assert by_email["application_id"] == ""
    assert by_email["course"] == "NPQ in Headship"
    assert (by_email["name"], by_email["trn"]) == ("Grace B. Hopper", OTHER_TRN)
    assert by_email["not_eligible_because"] == "Workplace not eligible"
    assert by_email["status_at_dfe"] == "Accepted" and by_email["training_status"] == "Training"
    csv = files["dfe_applications.csv"].decode()
    assert "NPQ in Headship" in csv and "Grace B. Hopper" in csv
    assert "npq-headship" not in csv and "Ada Lovelace" not in csv
    assert record.summary["dfe_applications"] == 2


def test_erasure_blanks_both_and_records_how_many(scene):
    application_withdraw(application=scene.application, by=scene.person)

    record = person_erase(person=scene.person, by=scene.admin, reason="Request of 3 March")

    assert record.kind == PersonalDataRequest.Kind.ERASURE
    assert record.summary["dfe_applications"] == 2
    for dfe_id in (scene.linked_id, scene.by_email_id):
        erased = scene.record(dfe_id)
        assert (erased.full_name, erased.email, erased.trn) == ("", "", "")
        assert erased.personal_data_erased_at is not None and erased.candidate_ids == []
    assert scene.record(scene.linked_id).application == scene.application  # still linked
    assert scene.record(scene.by_email_id).school_urn == "100000"  # not the person's
    untouched = scene.record(scene.someone_else_id)
    assert untouched.full_name == "Ada Lovelace" and untouched.personal_data_erased_at is None


def test_a_later_pull_updates_dfes_record_but_not_the_erased_name_email_or_trn(scene):
    application_withdraw(application=scene.application, by=scene.person)
    person_erase(person=scene.person, by=scene.admin, reason="Their request")
    erased_at = scene.record(scene.linked_id).personal_data_erased_at
    later(scene.fake, hours=4)
    scene.fake.applications[scene.linked_id]["status"] = "rejected"
    scene.fake.applications[scene.linked_id]["updated_at"] = scene.fake.now
    scene.fake.applications[scene.by_email_id]["school_urn"] = "100002"
    scene.fake.applications[scene.by_email_id]["updated_at"] = scene.fake.now

    syncs = pull(scene.fake, scene.hub.connection, full=True)

    assert all(sync.succeeded for sync in syncs)
    linked, by_email = scene.record(scene.linked_id), scene.record(scene.by_email_id)
    assert linked.status == DfeApplication.Status.REJECTED
    assert by_email.school_urn == "100002"
    for record in (linked, by_email):
        assert (record.full_name, record.email, record.trn) == ("", "", "")
        assert record.personal_data_erased_at == erased_at
    assert scene.record(scene.someone_else_id).full_name == "Ada Lovelace"
    assert linked.application == scene.application


def test_erasing_again_changes_nothing(scene):
    application_withdraw(application=scene.application, by=scene.person)
    person_erase(person=scene.person, by=scene.admin, reason="Their request")
    before = list(DfeApplication.objects.order_by("pk").values())

    assert dfe_person_erase(scene.person, {EMAIL}) == {"dfe_applications": 0}
    assert list(DfeApplication.objects.order_by("pk").values()) == before


def test_the_reconciliation_page_says_the_name_was_erased(scene, client):
    application_withdraw(application=scene.application, by=scene.person)
    person_erase(person=scene.person, by=scene.admin, reason="Their request")
    sign_in(client, scene.admin)
    page = reverse("dfe:reconciliation")

    disagreeing = client.get(page, {"show": "disagreements"}).content.decode()
    dfe_only = client.get(page, {"show": "dfe_only"}).content.decode()

    # The withdrawn application disagrees with DfE's pending one; the Headship one is DfE's only.
    assert "Name removed (personal data erased)" in disagreeing
    assert "Name removed (personal data erased)" in dfe_only
    assert "Ada Lovelace" in dfe_only
    assert "Hopper" not in disagreeing + dfe_only
