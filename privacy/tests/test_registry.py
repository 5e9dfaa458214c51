"""Apps above privacy add their own tables to the subject access export and their own counts
to the erasure's record, through privacy/registry.py."""

import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError

from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory
from privacy import registry
from privacy.services import person_data_export, person_erase

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(monkeypatch):
    """A registry holding only this test's source and eraser, and what they were called with."""
    monkeypatch.setattr(registry, "_sources", {})
    monkeypatch.setattr(registry, "_erasers", {})
    calls = []

    def source(person, emails):
        calls.append(("source", person.pk, set(emails)))
        return [("held_above", [{"what": "Held above privacy", "email": sorted(emails)[0]}])]

    def eraser(person, emails):
        calls.append(("eraser", person.pk, set(emails)))
        return {"held_above": 3, "nothing_here": 0}

    registry.personal_data_source_register(name="above", source=source)
    registry.personal_data_eraser_register(name="above", eraser=eraser)
    registry.personal_data_eraser_register(name="above", eraser=eraser)  # once, not twice
    return calls


def test_a_registered_source_is_a_table_of_the_export(registered):
    person = UserFactory(email="Lin.Wei@example.org")
    admin = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])

    content, record = person_data_export(person=person, by=admin)

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        document = json.loads(archive.read("person.json"))
        csv = archive.read("held_above.csv").decode()
    assert document["held_above"] == [
        {"what": "Held above privacy", "email": "lin.wei@example.org"}
    ]
    assert "Held above privacy" in csv
    assert record.summary["held_above"] == 1
    assert registered == [("source", person.pk, {"lin.wei@example.org"})]


def test_a_registered_eraser_runs_once_and_its_counts_are_recorded(registered):
    person = UserFactory(email="lin.wei@example.org")
    admin = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])

    record = person_erase(person=person, by=admin, reason="Their request")

    assert registered == [("eraser", person.pk, {"lin.wei@example.org"})]
    assert record.summary["held_above"] == 3
    assert "nothing_here" not in record.summary


def test_an_eraser_is_not_called_when_the_erasure_is_refused(registered):
    admin = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])

    with pytest.raises(ValidationError, match="cannot erase your own account"):
        person_erase(person=admin, by=admin, reason="Their request")

    assert registered == []


def test_two_tables_of_one_name_are_refused(registered):
    registry.personal_data_source_register(
        name="clash", source=lambda person, emails: [("applications", [])]
    )

    with pytest.raises(ValueError, match="applications"):
        person_data_export(person=UserFactory(), by=StaffUserFactory())
